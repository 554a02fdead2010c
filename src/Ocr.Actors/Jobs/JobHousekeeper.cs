using Akka.Actor;
using Akka.Event;
using Ocr.Actors.Index;

namespace Ocr.Actors.Jobs;

/// <summary>
/// Keeps the node's jobs tidy from the job index, without waking finished jobs: at start (and now
/// and then) wakes every unfinished job so it carries on; removes uploads once a job has been
/// finished for the cleanup delay; deletes finished jobs older than the retention period.
/// </summary>
public sealed class JobHousekeeper : ReceiveActor, IWithTimers
{
    private const int Batch = 500;
    private readonly IActorRef _jobs;
    private readonly IJobIndex _index;
    private readonly JobOptions _options;
    private readonly Pipeline.PipelineOptions _pipelineOptions;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<SweepKind> _running = [];

    public JobHousekeeper(IActorRef jobs, IJobIndex index, JobOptions options, Pipeline.PipelineOptions pipelineOptions)
    {
        _jobs = jobs;
        _index = index;
        _options = options;
        _pipelineOptions = pipelineOptions;

        Receive<Tick>(t => Sweep(t.Kind));
        // The job store is back after an outage: jobs that stopped on a failed write wake now, and again once
        // the journal's circuit breaker (10 s) has surely closed.
        Receive<StoreReturned>(_ =>
        {
            Self.Tell(new Tick(SweepKind.Resume));
            Timers.StartSingleTimer("resume-after-store-5", new Tick(SweepKind.Resume), TimeSpan.FromSeconds(5));
            Timers.StartSingleTimer("resume-after-store-15", new Tick(SweepKind.Resume), TimeSpan.FromSeconds(15));
        });
        // A node gone from the cluster: its jobs' shards now live elsewhere, and nothing else would wake them.
        Receive<Akka.Cluster.ClusterEvent.MemberRemoved>(_ =>
        {
            Self.Tell(new Tick(SweepKind.Resume));
            Timers.StartSingleTimer("resume-after-removal", new Tick(SweepKind.Resume), TimeSpan.FromSeconds(3)); // in case one was already running
        });
        Receive<Akka.Cluster.ClusterEvent.IMemberEvent>(_ => { });
        Receive<SweepDone>(d =>
        {
            _running.Remove(d.Kind);
            if (d.Error is not null)
            {
                _log.Warning("Housekeeping ({Kind}) failed: {Error}", d.Kind, d.Error.Message);
            }
            else if (d.Count > 0)
            {
                _log.Info("Housekeeping ({Kind}): {Count} job(s)", d.Kind, d.Count);
            }

            // A full batch means more is due: go on at once.
            if (d.Count >= Batch && d.Kind != SweepKind.Resume)
            {
                Self.Tell(new Tick(d.Kind));
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef jobs, IJobIndex index, JobOptions options, Pipeline.PipelineOptions pipelineOptions) =>
        Akka.Actor.Props.Create(() => new JobHousekeeper(jobs, index, options, pipelineOptions));

    protected override void PreStart()
    {
        Self.Tell(new Tick(SweepKind.Resume));
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, Akka.Cluster.ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(Akka.Cluster.ClusterEvent.MemberRemoved));
        Timers.StartPeriodicTimer("resume", new Tick(SweepKind.Resume), _options.ResumeSweepInterval);
        Timers.StartPeriodicTimer("uploads", new Tick(SweepKind.Uploads), _options.UploadSweepInterval);
        if (_options.Retention > TimeSpan.Zero)
        {
            Timers.StartPeriodicTimer("retention", new Tick(SweepKind.Retention), _options.RetentionSweepInterval);
        }
    }

    private void Sweep(SweepKind kind)
    {
        if (!_running.Add(kind))
        {
            return; // still at it: the next tick of this kind will go on
        }

        var now = DateTimeOffset.UtcNow;
        Task<int> work = kind switch
        {
            SweepKind.Resume => ResumeUnfinished(),
            SweepKind.Uploads => RemoveUploads(now - _options.CleanupDelay),
            _ => DeleteExpired(now - _options.Retention),
        };
        work.PipeTo(Self, success: count => new SweepDone(kind, count, null), failure: e => new SweepDone(kind, 0, e));
    }

    private async Task<int> ResumeUnfinished()
    {
        var unfinished = await _index.UnfinishedAsync(100_000);
        foreach (var id in unfinished)
        {
            _jobs.Tell(new JobCommands.ResumeJob(id));
        }

        return unfinished.Count;
    }

    private async Task<int> RemoveUploads(DateTimeOffset finishedBy)
    {
        var due = await _index.UploadsDueAsync(finishedBy, Batch);
        var removed = new List<Jobs.JobId>();
        foreach (var (jobId, path) in due)
        {
            await KeepSearchablePdf(jobId);
            try
            {
                File.Delete(path);
                removed.Add(jobId);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.Warning("Job {JobId}: could not remove the upload: {Error}", jobId, e.Message);
            }
        }

        await _index.MarkUploadsRemovedAsync(removed);
        return removed.Count;
    }

    /// <summary>
    /// A completed job's searchable PDF is made from its upload, so it is made now, before the
    /// upload goes (unless a request already made it); a job that cannot have one is passed by.
    /// </summary>
    private async Task KeepSearchablePdf(JobId jobId)
    {
        try
        {
            var reply = await _jobs.Ask<JobReplies.IJobReply>(new JobCommands.GetResult(jobId, new UserId("housekeeper"), AsAdmin: true), TimeSpan.FromSeconds(30));
            if (reply is JobReplies.Result { View: var result } && result.Status == JobStatuses.Completed
                && result.ToDocument().WhyNoGeometry() is null)
            {
                await Pipeline.Rendering.SearchablePdfBuilder.EnsureAsync(result.UploadPath, result.Kind, result.Pages, _pipelineOptions, CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            _log.Warning("Job {JobId}: the searchable PDF could not be made before the upload is removed: {Error}", jobId, e.Message);
        }
    }

    private async Task<int> DeleteExpired(DateTimeOffset finishedBy)
    {
        var expired = await _index.FinishedBeforeAsync(finishedBy, Batch);
        var deletions = expired.Select(id => _jobs.Ask<JobReplies.IJobReply>(new JobCommands.DeleteJob(id, null), TimeSpan.FromSeconds(30)));
        var replies = await Task.WhenAll(deletions);
        return replies.Count(r => r is JobReplies.Deleted or JobReplies.NotFound);
    }

    public enum SweepKind
    {
        Resume,
        Uploads,
        Retention,
    }

    private sealed record Tick(SweepKind Kind);

    /// <summary>The job store (Redis) answers again after an outage.</summary>
    public sealed class StoreReturned
    {
        public static readonly StoreReturned Instance = new();
    }

    private sealed record SweepDone(SweepKind Kind, int Count, Exception? Error);
}
