namespace Ocr.Actors.Jobs;

/// <summary>Job life-cycle limits, bound from the service's settings.</summary>
public sealed record JobOptions
{
    public int MaxConcurrentJobs { get; init; } = 3;

    public int MaxQueuedJobs { get; init; } = 100;

    public TimeSpan JobTimeout { get; init; } = TimeSpan.FromSeconds(300);

    public TimeSpan CleanupDelay { get; init; } = TimeSpan.FromSeconds(60);

    public int SnapshotEvery { get; init; } = 50;

    /// <summary>How long a finished, cleaned-up job's actor stays in memory without messages.</summary>
    public TimeSpan IdleBeforePassivation { get; init; } = TimeSpan.FromMinutes(2);
}
