namespace Ocr.Actors.Jobs;

/// <summary>Job life-cycle limits, bound from the service's settings.</summary>
public sealed record JobOptions
{
    public int MaxConcurrentJobs { get; init; } = 3;

    public int MaxQueuedJobs { get; init; } = 100;

    public TimeSpan JobTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>How long after a job ends its upload is removed.</summary>
    public TimeSpan CleanupDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long after a job ends it is deleted altogether; zero keeps jobs forever.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Events between snapshots of a running job (a job that ends gets one of its own). Snapshots
    /// hold the job's state, whose pages are summaries: small, whatever the job's length.
    /// </summary>
    public int SnapshotEvery { get; init; } = 50;

    /// <summary>How long a finished job's entity stays in memory without messages before it passivates.</summary>
    public TimeSpan IdleBeforePassivation { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Number of shards the jobs are spread over: fixed for the life of a deployment.</summary>
    public int Shards { get; init; } = 50;

    public TimeSpan UploadSweepInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often expired jobs are looked for: unless set, a tenth of the retention, between 1 s and 10 min.</summary>
    public TimeSpan RetentionSweepInterval
    {
        get => _retentionSweepInterval ?? TimeSpan.FromTicks(Math.Clamp(Retention.Ticks / 10, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute * 10));
        init => _retentionSweepInterval = value;
    }

    private readonly TimeSpan? _retentionSweepInterval;

    /// <summary>How often unfinished jobs are woken from the index (a job whose node died carries on elsewhere).</summary>
    public TimeSpan ResumeSweepInterval { get; init; } = TimeSpan.FromMinutes(2);
}
