using System.Diagnostics;

namespace Ocr.Pipeline.Engines;

/// <summary>
/// Seconds spent in each stage of reading one page (deskew, orientation, read, retries,
/// detection, recognition, escalation...): what the benchmarks add up per stage and kind of
/// page. Not persisted; not thread-safe (one page, one reader at a time).
/// </summary>
public sealed class StageTimes
{
    private readonly Dictionary<string, double> _seconds = [];

    public IReadOnlyDictionary<string, double> Seconds => _seconds;

    public T Time<T>(string stage, Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            return work();
        }
        finally
        {
            Add(stage, clock.Elapsed.TotalSeconds);
        }
    }

    public void Add(string stage, double seconds) => _seconds[stage] = _seconds.GetValueOrDefault(stage) + seconds;

    public void AddAll(IReadOnlyDictionary<string, double>? other, string? prefix = null)
    {
        foreach (var (stage, seconds) in other ?? new Dictionary<string, double>())
        {
            Add(prefix is null ? stage : $"{prefix}{stage}", seconds);
        }
    }
}
