using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Streams;

namespace Ocr.Actors.Jobs;

/// <summary>Marks every message the service's serializer must handle.</summary>
public interface IOcrProtocolMember;

public sealed record JobId(string Value)
{
    public static JobId New() => new(Guid.NewGuid().ToString());

    public override string ToString() => Value;
}

public sealed record UserId(string Value)
{
    public override string ToString() => Value;
}

public static class JobStatuses
{
    public const string Pending = "pending";
    public const string Processing = "processing";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsTerminal(string status) => status is Completed or Failed or Cancelled;
}

/// <summary>What the portal asked for, fixed at submission.</summary>
public sealed record JobSpec(
    string FileName,
    long FileSize,
    string StoredPath,
    DocumentKind Kind,
    string Engine,
    string Language,
    int? Dpi,
    string? Pages,
    bool AutoRotate);

public interface IJobCommand : IOcrProtocolMember
{
    JobId JobId { get; }
}

public static class JobCommands
{
    public sealed record SubmitJob(JobId JobId, UserId Owner, JobSpec Spec, DateTimeOffset At) : IJobCommand;

    /// <summary>A node's admission gave the job a slot: it may start (or carry on) there.</summary>
    public sealed record StartJob(JobId JobId, string? Node = null) : IJobCommand;

    /// <summary>Cancels the job; <paramref name="AsAdmin"/>: an operator may cancel anyone's.</summary>
    public sealed record CancelJob(JobId JobId, UserId Requester, bool AsAdmin = false) : IJobCommand;

    public sealed record GetStatus(JobId JobId, UserId Requester, bool AsAdmin = false) : IJobCommand;

    public sealed record GetResult(JobId JobId, UserId Requester, bool Partial = false, bool AsAdmin = false) : IJobCommand;

    /// <summary>Deletes the job's events, snapshots, index entry and file; no requester means retention.</summary>
    public sealed record DeleteJob(JobId JobId, UserId? Requester) : IJobCommand;

    /// <summary>Wakes a job's entity so that an unfinished job carries on (sent at start-up from the index).</summary>
    public sealed record ResumeJob(JobId JobId) : IJobCommand;

    // What the job's page stream reports, as commands to decide on.
    public sealed record RecordPlan(JobId JobId, int PageCount, int[] Pages) : IJobCommand;

    public sealed record RecordPage(JobId JobId, StoredPage Page) : IJobCommand;

    public sealed record CompleteRun(JobId JobId, string ModelUsed, bool GpuUsed) : IJobCommand;

    public sealed record FailRun(JobId JobId, string Error) : IJobCommand;
}

public interface IJobEvent : IOcrProtocolMember
{
    JobId JobId { get; }
}

public static class JobEvents
{
    public sealed record JobSubmitted(JobId JobId, UserId Owner, JobSpec Spec, DateTimeOffset At) : IJobEvent;

    /// <summary>A run of the job began on <paramref name="Node"/> (written again each time the job resumes).</summary>
    public sealed record JobStarted(JobId JobId, DateTimeOffset At, string? Node = null) : IJobEvent;

    public sealed record PagesPlanned(JobId JobId, int PageCount, int[] Pages, DateTimeOffset At) : IJobEvent;

    public sealed record PageCompleted(JobId JobId, StoredPage Page, DateTimeOffset At) : IJobEvent;

    public sealed record JobCompleted(JobId JobId, string ModelUsed, bool GpuUsed, DateTimeOffset At) : IJobEvent;

    public sealed record JobFailed(JobId JobId, string Error, DateTimeOffset At) : IJobEvent;

    public sealed record JobCancelled(JobId JobId, DateTimeOffset At) : IJobEvent;

    /// <summary>Kept from earlier versions: uploads are now cleaned from the job index.</summary>
    public sealed record FileCleaned(JobId JobId, DateTimeOffset At) : IJobEvent;

    /// <summary>Whether the event is one of the three a job ends with.</summary>
    public static bool EndsJob(IJobEvent e) => e is JobCompleted or JobFailed or JobCancelled;

    /// <summary>The tombstone written just before a job's events are deleted; it carries nothing of the document.</summary>
    public sealed record JobDeleted(JobId JobId, DateTimeOffset At) : IJobEvent;
}

/// <summary>Replies to job commands: expected outcomes are values, not exceptions.</summary>
public static class JobReplies
{
    public interface IJobReply : IOcrProtocolMember;

    public sealed record Accepted(JobId JobId) : IJobReply;

    public sealed record QueueFull(int RetryAfterSeconds) : IJobReply;

    public sealed record NotFound(JobId JobId) : IJobReply;

    public sealed record Forbidden(JobId JobId) : IJobReply;

    public sealed record NotFinished(JobId JobId, string Status) : IJobReply;

    public sealed record AlreadyFinished(JobId JobId, string Status) : IJobReply;

    public sealed record Cancelled(JobId JobId) : IJobReply;

    public sealed record Deleted(JobId JobId) : IJobReply;

    /// <summary>Something the job could not do (a journal or store error): the caller gets a 500.</summary>
    public sealed record Failed(JobId JobId, string Error) : IJobReply;

    public sealed record Status(JobStatusView View) : IJobReply;

    public sealed record Result(JobResult View) : IJobReply;

    /// <summary>
    /// The decision that a result may be read: the entity reads the job's pages back from its
    /// events and answers with <see cref="Result"/>. Never leaves the entity.
    /// </summary>
    public sealed record ResultToRead(JobId JobId) : IJobReply;
}

/// <summary>The job status object of SPEC.md.</summary>
public sealed record JobStatusView(
    string JobId,
    string Status,
    int Progress,
    string Message,
    string FileName,
    long FileSize,
    string Engine,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    int PagesDone,
    int? PageCount,
    string? Error,
    [property: System.Text.Json.Serialization.JsonIgnore] string Owner,
    string? Node = null);

/// <summary>A job's result: what the result object of SPEC.md and every other format are made from, and the upload it was read from.</summary>
public sealed record JobResult(
    string JobId,
    string Status,
    string ExtractedText,
    double ConfidenceScore,
    int PageCount,
    double ProcessingTime,
    string ModelUsed,
    bool GpuUsed,
    IReadOnlyList<Pipeline.Pages.PageModel> Pages,
    string UploadPath,
    DocumentKind Kind)
{
    /// <summary>What the renderers draw from.</summary>
    public Pipeline.Rendering.ResultDocument ToDocument() => new(JobId, ExtractedText, ModelUsed, Pages);
}

/// <summary>A progress message as the WebSocket and the hub send it.</summary>
public sealed record JobProgress(
    string JobId,
    [property: System.Text.Json.Serialization.JsonIgnore] string Owner,
    string Status,
    int Progress,
    string Message,
    int Page,
    int PageCount,
    double Timestamp) : IOcrProtocolMember
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsTerminal => JobStatuses.IsTerminal(Status);

    /// <summary>
    /// Whether this message is news to a subscriber whose last message was <paramref name="last"/>:
    /// a terminal state always is (a job cancelled while still opening its document reports
    /// progress 0 after 5, and was once dropped as going backwards, leaving its subscribers
    /// waiting for ever); any other message only when it moves forward or says something new.
    /// </summary>
    public bool Follows(JobProgress last) =>
        IsTerminal || (Progress >= last.Progress && (Status != last.Status || Progress != last.Progress || Message != last.Message));
}
