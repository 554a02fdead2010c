using System.Collections.Immutable;
using Ocr.Pipeline.Streams;
using static Ocr.Actors.Jobs.JobCommands;
using static Ocr.Actors.Jobs.JobEvents;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Actors.Jobs;

/// <summary>Everything known about one job, folded from its events. Pure: no clock, no I/O.</summary>
public sealed record JobState : IOcrProtocolMember
{
    public static readonly JobState Empty = new();

    /// <summary>Runs after which a job that keeps losing its node (a page that kills the process, say) fails instead.</summary>
    public const int MaxRuns = 10;

    public JobId? JobId { get; init; }

    public UserId? Owner { get; init; }

    public JobSpec? Spec { get; init; }

    public string Status { get; init; } = JobStatuses.Pending;

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public int? PageCount { get; init; }

    public ImmutableArray<int> PlannedPages { get; init; } = [];

    /// <summary>
    /// The pages read, as summaries (<see cref="StoredPage.Summary"/>): a page's text and words stay
    /// in its <see cref="PageCompleted"/> event, and a result is made from the events
    /// (<see cref="ToResultView"/>). Held whole, every page's words stayed in the entity for as
    /// long as it lived, and each snapshot wrote all of them again (5 MB of JSON at 300 pages).
    /// </summary>
    public ImmutableSortedDictionary<int, StoredPage> Pages { get; init; } = ImmutableSortedDictionary<int, StoredPage>.Empty;

    public string? Error { get; init; }

    /// <summary>The node of the latest run.</summary>
    public string? Node { get; init; }

    /// <summary>Runs begun (the first, and one per resumption after a node stopped).</summary>
    public int Runs { get; init; }

    public string? ModelUsed { get; init; }

    public bool GpuUsed { get; init; }

    public bool FileCleaned { get; init; }

    /// <summary>The job was deleted (by its owner or by retention): it answers as if it never existed.</summary>
    public bool Deleted { get; init; }

    public bool Exists => JobId is not null && !Deleted;

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
        JobStarted s => this with { Status = JobStatuses.Processing, StartedAt = StartedAt ?? s.At, Node = s.Node ?? Node, Runs = Runs + 1 },
        PagesPlanned p => this with { PageCount = p.PageCount, PlannedPages = [.. p.Pages] },
        PageCompleted p => this with { Pages = Pages.SetItem(p.Page.PageNumber, p.Page.Summary()) },
        JobCompleted c => this with { Status = JobStatuses.Completed, CompletedAt = c.At, ModelUsed = c.ModelUsed, GpuUsed = c.GpuUsed },
        JobFailed f => this with { Status = JobStatuses.Failed, CompletedAt = f.At, Error = f.Error },
        JobCancelled c => this with { Status = JobStatuses.Cancelled, CompletedAt = c.At },
        JobEvents.FileCleaned => this with { FileCleaned = true },
        JobDeleted d => Empty with { JobId = d.JobId, Deleted = true },
        _ => this,
    };

    public JobStatusView ToStatusView() => new(
        JobId!.Value, Status, Progress, Message, Spec!.FileName, Spec.FileSize, Spec.Engine, CreatedAt, StartedAt, CompletedAt,
        Pages.Count, PageCount is null ? null : PagesPlannedCount, Error, Owner!.Value, Node);

    /// <summary>Pages as summaries only (a snapshot written before summaries were kept holds them whole).</summary>
    public JobState Summarized() => this with { Pages = Pages.ToImmutableSortedDictionary(p => p.Key, p => p.Value.Summary()) };

    /// <summary>The result, from the pages as the job's events hold them (<paramref name="readPages"/>, by page number; the last event of a page wins).</summary>
    public JobResult ToResultView(IReadOnlyDictionary<int, StoredPage> readPages)
    {
        var pages = Pages.Keys.Select(number => readPages.TryGetValue(number, out var page) ? page : Pages[number]).Select(p => p.ToModel()).ToList();
        var text = string.Join("\n\n", pages.Select(p => p.Text));
        var confidence = pages.Count == 0 ? 0 : Math.Round(pages.Average(p => p.Confidence), 4);
        var seconds = StartedAt is { } start ? ((CompletedAt ?? start) - start).TotalSeconds : 0;
        return new JobResult(JobId!.Value, Status, text, confidence, pages.Count, Math.Round(seconds, 3), ModelUsed ?? "", GpuUsed, pages, Spec!.StoredPath, Spec.Kind);
    }

    public JobProgress ToProgress(double timestamp)
    {
        var latest = Pages.Count == 0 ? 0 : Pages.Keys.Max();
        return new JobProgress(JobId!.Value, Owner!.Value, Status, Progress, Message, latest, PagesPlannedCount, timestamp);
    }

    /// <summary>
    /// The job's one decision function: what a command changes (the events to persist, in order)
    /// and what its sender hears. Pure: the time comes in as <paramref name="now"/>.
    /// </summary>
    public JobDecision Decide(IJobCommand command, DateTimeOffset now) => command switch
    {
        SubmitJob s when Deleted => JobDecision.Answer(new NotFound(s.JobId)),
        SubmitJob s when !Exists => new JobDecision([new JobSubmitted(s.JobId, s.Owner, s.Spec, s.At)], new Accepted(s.JobId)),
        // A submission sent again (an Ask that timed out and was retried) is the same job.
        SubmitJob s => JobDecision.Answer(s.Owner == Owner ? new Accepted(s.JobId) : new Forbidden(s.JobId)),
        StartJob when Exists && !IsTerminal && Runs >= MaxRuns => JobDecision.Persist(new JobFailed(JobId!,
            $"the job was started {Runs} times and its node stopped each time before it finished", now)),
        StartJob s when Exists && !IsTerminal => JobDecision.Persist(new JobStarted(JobId!, now, s.Node)),
        RecordPlan p when Status == JobStatuses.Processing => JobDecision.Persist(new PagesPlanned(JobId!, p.PageCount, p.Pages, now)),
        RecordPage p when Status == JobStatuses.Processing => JobDecision.Persist(new PageCompleted(JobId!, p.Page, now)),
        CompleteRun c when Status == JobStatuses.Processing => JobDecision.Persist(new JobCompleted(JobId!, c.ModelUsed, c.GpuUsed, now)),
        FailRun f when Status == JobStatuses.Processing => JobDecision.Persist(new JobFailed(JobId!, f.Error, now)),
        GetStatus g => JobDecision.Answer(DecideRead(g.JobId, g.Requester, g.AsAdmin, wantResult: false, partial: false)),
        GetResult g => JobDecision.Answer(DecideRead(g.JobId, g.Requester, g.AsAdmin, wantResult: true, g.Partial)),
        CancelJob c => DecideCancel(c, now),
        DeleteJob d => DecideDelete(d, now),
        _ => JobDecision.None,
    };

    private IJobReply DecideRead(JobId asked, UserId requester, bool asAdmin, bool wantResult, bool partial)
    {
        if (!Exists)
        {
            return new NotFound(asked);
        }

        if (requester != Owner && !asAdmin)
        {
            return new Forbidden(asked);
        }

        if (!wantResult)
        {
            return new JobReplies.Status(ToStatusView());
        }

        return Status == JobStatuses.Completed || (partial && Status == JobStatuses.Processing)
            ? new ResultToRead(asked)
            : new NotFinished(asked, Status);
    }

    private JobDecision DecideCancel(CancelJob command, DateTimeOffset now)
    {
        if (!Exists)
        {
            return JobDecision.Answer(new NotFound(command.JobId));
        }

        if (command.Requester != Owner && !command.AsAdmin)
        {
            return JobDecision.Answer(new Forbidden(command.JobId));
        }

        return IsTerminal
            ? JobDecision.Answer(new AlreadyFinished(command.JobId, Status))
            : new JobDecision([new JobCancelled(command.JobId, now)], new JobReplies.Cancelled(command.JobId));
    }

    private JobDecision DecideDelete(DeleteJob command, DateTimeOffset now)
    {
        if (!Exists)
        {
            return JobDecision.Answer(new NotFound(command.JobId));
        }

        if (command.Requester is { } requester && requester != Owner)
        {
            return JobDecision.Answer(new Forbidden(command.JobId));
        }

        return new JobDecision([new JobDeleted(command.JobId, now)], new JobReplies.Deleted(command.JobId));
    }
}

/// <summary>What <see cref="JobState.Decide"/> returns: events to persist (in order) and the reply, if any.</summary>
public sealed record JobDecision(ImmutableArray<IJobEvent> Events, IJobReply? Reply)
{
    public static readonly JobDecision None = new([], null);

    public static JobDecision Answer(IJobReply reply) => new([], reply);

    public static JobDecision Persist(IJobEvent e) => new([e], null);
}
