using System.Threading.Channels;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Ocr.Pipeline.Neural;

/// <summary>
/// The node's shared recognition stage, an Akka.Streams graph: crops from every page of every
/// job → grouped within a short window → split into batches of one padded width → at most
/// <c>parallelism</c> batches in the model at once. Under load batches fill up by themselves;
/// when idle a lone crop waits only the window.
/// </summary>
public sealed class RecognitionBatcher : IDisposable
{
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>();
    private readonly TextRecognizer _recognizer;
    private readonly int _maxBatch;
    private readonly int _maxBatchPixels;
    private readonly Lazy<NotUsed> _started;
    private long _batches;
    private long _crops;
    private long _spanning;

    /// <param name="materializer">Asked for on first use: the host's actor system is up by then.</param>
    /// <param name="maxBatchColumns">A batch's crops' padded widths add up to at most this many pixels (a lone wider crop still runs).</param>
    public RecognitionBatcher(TextRecognizer recognizer, Func<IMaterializer> materializer, int maxBatch, TimeSpan window, int parallelism, int maxBatchColumns)
    {
        _recognizer = recognizer;
        _maxBatch = maxBatch;
        _maxBatchPixels = LineCrop.Height * maxBatchColumns;
        _started = new Lazy<NotUsed>(() =>
        {
            ChannelSource.FromReader(_requests.Reader)
                .GroupedWithin(maxBatch * 4, window)
                .SelectMany(Batches)
                .SelectAsync(parallelism, batch => Task.Run(() => Run(batch)))
                .RunWith(Sink.Ignore<NotUsed>(), materializer());
            return NotUsed.Instance;
        });
    }

    public long BatchesRun => Interlocked.Read(ref _batches);

    public long CropsRecognized => Interlocked.Read(ref _crops);

    /// <summary>Batches that held crops of more than one page.</summary>
    public long BatchesSpanningPages => Interlocked.Read(ref _spanning);

    public Task<LineReading[]> RecognizeAsync(IReadOnlyList<LineCrop> crops, CancellationToken cancellationToken)
    {
        if (crops.Count == 0)
        {
            return Task.FromResult(Array.Empty<LineReading>());
        }

        _ = _started.Value;
        var page = new object();
        var requests = crops.Select(crop => new Request(crop, page, cancellationToken)).ToList();
        foreach (var request in requests)
        {
            if (!_requests.Writer.TryWrite(request))
            {
                throw new ObjectDisposedException(nameof(RecognitionBatcher));
            }
        }

        return Task.WhenAll(requests.Select(r => r.Completion.Task));
    }

    private IEnumerable<IReadOnlyList<Request>> Batches(IEnumerable<Request> group) =>
        group.Where(r => !r.Cancelled())
            .GroupBy(r => r.Crop.PaddedWidth)
            .OrderBy(g => g.Key)
            // Wide crops go in smaller batches: a batch's activations grow with its pixels.
            .SelectMany(sameWidth => sameWidth.Chunk(Math.Clamp(_maxBatchPixels / (LineCrop.Height * sameWidth.Key), 1, _maxBatch)));

    private NotUsed Run(IReadOnlyList<Request> batch)
    {
        try
        {
            var readings = _recognizer.Recognize(batch.Select(r => r.Crop).ToList());
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _crops, batch.Count);
            if (batch.Select(r => r.Page).Distinct().Skip(1).Any())
            {
                Interlocked.Increment(ref _spanning);
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(readings[i]);
            }
        }
        catch (Exception e)
        {
            foreach (var request in batch)
            {
                request.Completion.TrySetException(new OcrPageException($"text recognition failed: {e.Message}", transient: true, e));
            }
        }

        return NotUsed.Instance;
    }

    public void Dispose() => _requests.Writer.TryComplete();

    private sealed record Request(LineCrop Crop, object Page, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<LineReading> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Cancelled()
        {
            if (!CancellationToken.IsCancellationRequested)
            {
                return false;
            }

            Completion.TrySetCanceled(CancellationToken);
            return true;
        }
    }
}
