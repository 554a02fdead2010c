using Ocr.Actors.Jobs;

namespace Ocr.Actors.Index;

/// <summary>
/// The read side of the jobs: one entry per job (its latest status object), kept by the job's
/// entity, so that history, counters, resumption, upload cleanup and retention never wake or
/// replay job actors. Writes are batched; a task completes once its write is durable.
/// </summary>
public interface IJobIndex : IAsyncDisposable
{
    /// <summary>Records the job's latest state (insert or replace); counters follow status changes.</summary>
    Task UpsertAsync(JobIndexEntry entry);

    /// <summary>Removes the job's entry; counters drop it.</summary>
    Task DeleteAsync(JobId jobId);

    /// <summary>The user's newest jobs first.</summary>
    Task<IReadOnlyList<JobStatusView>> ListAsync(UserId owner, int limit, CancellationToken cancellationToken = default);

    /// <summary>Any user's jobs (operators), newest first, filtered and paged.</summary>
    Task<IReadOnlyList<JobStatusView>> QueryAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>Jobs per status, over every job the index holds.</summary>
    Task<JobCounts> CountsAsync(CancellationToken cancellationToken = default);

    /// <summary>Pending or processing jobs, oldest first.</summary>
    Task<IReadOnlyList<JobId>> UnfinishedAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>Finished jobs whose upload is still on disk and that finished at or before <paramref name="finishedBy"/>.</summary>
    Task<IReadOnlyList<(JobId JobId, string StoredPath)>> UploadsDueAsync(DateTimeOffset finishedBy, int limit, CancellationToken cancellationToken = default);

    Task MarkUploadsRemovedAsync(IReadOnlyCollection<JobId> jobIds);

    /// <summary>Finished jobs that finished at or before <paramref name="finishedBy"/> (retention).</summary>
    Task<IReadOnlyList<JobId>> FinishedBeforeAsync(DateTimeOffset finishedBy, int limit, CancellationToken cancellationToken = default);
}

/// <summary>One job as the index keeps it.</summary>
public sealed record JobIndexEntry(JobStatusView View, string StoredPath)
{
    public static JobIndexEntry Of(JobState state) => new(state.ToStatusView(), state.Spec!.StoredPath);
}

public sealed record JobCounts(long Pending, long Processing, long Completed, long Failed, long Cancelled)
{
    public long Total => Pending + Processing + Completed + Failed + Cancelled;
}

/// <summary>What an operator asks of the index: every filter optional.</summary>
public sealed record JobQuery(string? Status = null, string? Owner = null, string? Node = null, DateTimeOffset? Since = null, int Limit = 50, int Offset = 0)
{
    public bool Matches(JobStatusView view) =>
        (Status is null || view.Status == Status) && (Owner is null || view.Owner == Owner)
        && (Node is null || view.Node == Node) && (Since is null || view.CreatedAt >= Since);
}
