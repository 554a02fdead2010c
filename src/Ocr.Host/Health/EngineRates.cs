using Ocr.Pipeline.Streams;

namespace Ocr.Host.Health;

/// <summary>Pages per second per engine over the last minute and the last five, from the engines' counters sampled every 10 s.</summary>
public sealed class EngineRates(PagePipeline pipeline) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Kept = TimeSpan.FromMinutes(5);
    private readonly Queue<Sample> _samples = new();

    public sealed record Rates(double TesseractLastMinute, double TesseractLastFiveMinutes, double NeuralLastMinute, double NeuralLastFiveMinutes);

    private sealed record Sample(DateTimeOffset At, long Tesseract, long Neural);

    public Rates Current()
    {
        lock (_samples)
        {
            var now = Take();
            return new Rates(Rate(now, TimeSpan.FromMinutes(1), s => s.Tesseract), Rate(now, Kept, s => s.Tesseract),
                Rate(now, TimeSpan.FromMinutes(1), s => s.Neural), Rate(now, Kept, s => s.Neural));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            lock (_samples)
            {
                _samples.Enqueue(Take());
                while (_samples.Count > 0 && DateTimeOffset.UtcNow - _samples.Peek().At > Kept)
                {
                    _samples.Dequeue();
                }
            }

            await Task.Delay(Every, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private Sample Take() => new(DateTimeOffset.UtcNow, pipeline.Pool.PagesRecognized, pipeline.Neural?.PagesRecognized ?? 0);

    /// <summary>Pages per second between the oldest sample within the window and now (0 before two samples).</summary>
    private double Rate(Sample now, TimeSpan window, Func<Sample, long> count)
    {
        var from = _samples.FirstOrDefault(s => now.At - s.At <= window);
        var seconds = from is null ? 0 : (now.At - from.At).TotalSeconds;
        return seconds < 1 ? 0 : Math.Round((count(now) - count(from!)) / seconds, 3);
    }
}
