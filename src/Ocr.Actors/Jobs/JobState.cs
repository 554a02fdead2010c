using System.Collections.Immutable;
using Ocr.Pipeline.Streams;
using static Ocr.Actors.Jobs.JobEvents;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Actors.Jobs;

/// <summary>Everything known about one job, folded from its events. Pure: no clock, no I/O.</summary>
public sealed record JobState : IOcrProtocolMember
{
    public static readonly JobState Empty = new();

    public JobId? JobId { get; init; }

    public UserId? Owner { get; init; }

    public JobSpec? Spec { get; init; }

    public string Status { get; init; } = JobStatuses.Pending;

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public int? PageCount { get; init; }

    public ImmutableArray<int> PlannedPages { get; init; } = [];

    public ImmutableSortedDictionary<int, PageResult> Pages { get; init; } = ImmutableSortedDictionary<int, PageResult>.Empty;

    public string? Error { get; init; }

    public string? ModelUsed { get; init; }

    public bool GpuUsed { get; init; }

    public bool FileCleaned { get; init; }

    public bool Exists => JobId is not null;

    public bool IsTerminal => JobStatuses.IsTerminal(Status);

    public int PagesPlannedCount => PlannedPages.IsDefaultOrEmpty ? PageCount ?? 0 : PlannedPages.Length;

    public int Progress => Status switch
    {
        JobStatuses.Pending => 0,
        JobStatuses.Completed => 100,
        _ when PagesPlannedCount == 0 => Status == JobStatuses.Processing ? 5 : 0,
        _ => 5 + (int)(90.0 * Pages.Count / PagesPlannedCount),
    };

    public string Message => Status switch
    {
        JobStatuses.Pending => "Queued",
        JobStatuses.Processing when PagesPlannedCount == 0 => "Opening the document",
        JobStatuses.Processing => $"Processed page {Pages.Count} of {PagesPlannedCount}",
        JobStatuses.Completed => $"Completed: {Pages.Count} page(s)",
        JobStatuses.Failed => Error ?? "Failed",
        JobStatuses.Cancelled => "Cancelled",
        _ => Status,
    };

    public JobState Apply(IJobEvent e) => e switch
    {
        JobSubmitted s => this with { JobId = s.JobId, Owner = s.Owner, Spec = s.Spec, CreatedAt = s.At, Status = JobStatuses.Pending },
        JobStarted s => this with { Status = JobStatuses.Processing, StartedAt = StartedAt ?? s.At },
        PagesPlanned p => this with { PageCount = p.PageCount, PlannedPages = [.. p.Pages] },
        PageCompleted p => this with { Pages = Pages.SetItem(p.Page.PageNumber, p.Page) },
        JobCompleted c => this with { Status = JobStatuses.Completed, CompletedAt = c.At, ModelUsed = c.ModelUsed, GpuUsed = c.GpuUsed },
        JobFailed f => this with { Status = JobStatuses.Failed, CompletedAt = f.At, Error = f.Error },
        JobCancelled c => this with { Status = JobStatuses.Cancelled, CompletedAt = c.At },
        JobEvents.FileCleaned => this with { FileCleaned = true },
        _ => this,
    };

    public JobStatusView ToStatusView() => new(
        JobId!.Value, Status, Progress, Message, Spec!.FileName, Spec.FileSize, Spec.Engine, CreatedAt, StartedAt, CompletedAt,
        Pages.Count, PageCount is null ? null : PagesPlannedCount, Error, Owner!.Value);

    public JobResultView ToResultView()
    {
        var pages = Pages.Values.ToList();
        var text = string.Join("\n\n", pages.Select(p => p.Text));
        var confidence = pages.Count == 0 ? 0 : Math.Round(pages.Average(p => p.Confidence), 4);
        var seconds = StartedAt is { } start ? ((CompletedAt ?? start) - start).TotalSeconds : 0;
        return new JobResultView(JobId!.Value, Status, text, confidence, pages.Count, Math.Round(seconds, 3), ModelUsed ?? "", GpuUsed, pages);
    }

    public JobProgress ToProgress(double timestamp)
    {
        var latest = Pages.Count == 0 ? 0 : Pages.Keys.Max();
        return new JobProgress(JobId!.Value, Owner!.Value, Status, Progress, Message, latest, PagesPlannedCount, timestamp);
    }

    /// <summary>Who may see the job and what a read returns.</summary>
    public IJobReply DecideRead(UserId requester, bool wantResult, bool partial)
    {
        if (!Exists)
        {
            return new NotFound(JobId ?? new JobId(""));
        }

        if (requester != Owner)
        {
            return new Forbidden(JobId!);
        }

        if (!wantResult)
        {
            return new JobReplies.Status(ToStatusView());
        }

        return Status == JobStatuses.Completed || (partial && Status == JobStatuses.Processing)
            ? new Result(ToResultView())
            : new NotFinished(JobId!, Status);
    }

    /// <summary>Whether a cancel changes anything: an event to persist, or the reply when it doesn't.</summary>
    public (IJobReply Reply, JobCancelled? Event) DecideCancel(UserId requester, DateTimeOffset now)
    {
        if (!Exists)
        {
            return (new NotFound(JobId ?? new JobId("")), null);
        }

        if (requester != Owner)
        {
            return (new Forbidden(JobId!), null);
        }

        return IsTerminal
            ? (new AlreadyFinished(JobId!, Status), null)
            : (new JobReplies.Cancelled(JobId!), new JobCancelled(JobId!, now));
    }
}
