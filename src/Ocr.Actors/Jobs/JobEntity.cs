using Akka.Actor;
using Akka.Cluster.Sharding;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Akka.Persistence;
using Akka.Streams;
using Akka.Streams.Dsl;
using Ocr.Actors.Index;
using Ocr.Pipeline;
using Ocr.Pipeline.Streams;
using static Ocr.Actors.Jobs.JobCommands;
using static Ocr.Actors.Jobs.JobEvents;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Actors.Jobs;

/// <summary>
/// One job, a sharded and event-sourced entity keyed by its id. It asks <see cref="JobState.Decide"/>
/// what each command means, persists the events, replies, and runs what the events call for:
/// asking the node for a slot, running the page stream, keeping the job index current,
/// deleting itself. Idle finished jobs passivate through their shard.
/// </summary>
public sealed class JobEntity : ReceivePersistentActor, IWithTimers
{
    private readonly PagePipeline _pipeline;
    private readonly JobOptions _options;
    private readonly IActorRef _admission;
    private readonly IJobIndex _index;
    private readonly ILogger _log;
    private JobState _state = JobState.Empty;
    private Run? _run;
    private bool _slotRequested;
    private IActorRef? _slotFrom;
    private readonly List<(IActorRef From, NodeAdmission.SlotOffered Offer)> _offers = [];
    private int _eventsSinceSnapshot;
    private IActorRef? _deleteRequester;
    private bool _olderSnapshotKept;

    public JobEntity(string jobId, PagePipeline pipeline, JobOptions options, IActorRef admission, IJobIndex index, ILogger? log = null)
    {
        // Microsoft.Extensions.Logging, not Akka's adapter: {JobId} then arrives as a structured property.
        _log = log ?? NullLogger.Instance;
        PersistenceId = PersistenceIdOf(new JobId(jobId));
        _pipeline = pipeline;
        _options = options;
        _admission = admission;
        _index = index;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is JobState state)
            {
                _state = state.Summarized();
                _olderSnapshotKept = true;
            }
        });
        Recover<IJobEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<NodeAdmission.SlotOffered>(OnSlotOffered);
        Command<NodeAdmission.SlotWithdrawn>(_ => OnRunLost("the slot offered was withdrawn"));
        Command<ISourceRef<IWorkEvent>>(OnWorkStream);
        Command<AskForSlotAgain>(_ => AskForSlot());
        Command<TakeBestOfferNow>(_ => TakeBestOffer());
        // The admission of the node running the work stopped (the node died or left): a stream reference
        // does not always notice a node that was killed, a watched actor's Terminated always comes.
        Command<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_slotFrom))
            {
                OnRunLost($"node {_state.Node} is gone");
            }
        });
        Command<ResumeJob>(_ => { }); // waking up was the point: recovery already resumed the job
        Command<IJobCommand>(c => Handle(c, Sender));
        Command<StreamStarted>(_ => Sender.Tell(StreamAck.Instance));
        Command<StreamItem>(OnStreamItem);
        Command<StreamFinished>(f => IfCurrent(f.RunId, () => Handle(
            new CompleteRun(_state.JobId!, _pipeline.ModelUsedFor(_state.Pages.Values.Select(p => (p.Source, p.Engine)), _state.Spec!.Language), _state.Pages.Values.Any(p => p.GpuUsed)), ActorRefs.Nobody)));
        // The work's own errors arrive as WorkFailed; a failing stream means its node or the link to it was lost.
        Command<StreamFailed>(f => IfCurrent(f.RunId, () => OnRunLost(f.Error.Message)));
        Command<TimedOut>(t => IfCurrent(t.RunId, () => Handle(
            new FailRun(_state.JobId!, $"the job timed out after {_options.JobTimeout.TotalSeconds:0} s (OCR_JOB_TIMEOUT)"), ActorRefs.Nobody)));
        Command<ReceiveTimeout>(_ => Context.Parent.Tell(new Passivate(PoisonPill.Instance)));
        Command<SaveSnapshotSuccess>(s =>
        {
            if (_olderSnapshotKept)
            {
                DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
            }

            _olderSnapshotKept = true;
        });
        Command<SaveSnapshotFailure>(f => _log.LogWarning(f.Cause, "Snapshot of job {JobId} failed", _state.JobId));
        Command<DeleteSnapshotsSuccess>(OnSnapshotsDeleted);
        Command<DeleteSnapshotsFailure>(f => OnDeleteFailed(f.Cause));
        Command<DeleteMessagesSuccess>(_ => OnEventsDeleted());
        Command<DeleteMessagesFailure>(f => OnDeleteFailed(f.Cause));
        Command<IndexWritten>(w => w.ReplyTo.Tell(w.Reply));
        Command<DeletionFinished>(OnDeletionFinished);
    }

    /// <summary>Events since the last snapshot that make a finished job worth a snapshot of its own.</summary>
    private const int SnapshotAtEndAfter = 10;

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static string PersistenceIdOf(JobId jobId) => $"ocr-job-{jobId.Value}";

    public static Props Props(string jobId, PagePipeline pipeline, JobOptions options, IActorRef admission, IJobIndex index, ILogger? log = null) =>
        Akka.Actor.Props.Create(() => new JobEntity(jobId, pipeline, options, admission, index, log));

    private JobId JobIdOrSelf => _state.JobId ?? new JobId(Uri.UnescapeDataString(Self.Path.Name));

    private void OnRecovered()
    {
        if (!_state.Exists && LastSequenceNr > 0)
        {
            // Deleted, but the process stopped before every trace was gone: finish the job.
            _log.LogInformation("Job {JobId}: finishing an interrupted deletion", JobIdOrSelf);
            _state = JobState.Empty with { JobId = JobIdOrSelf, Deleted = true };
            DeleteAllSnapshots();
            return;
        }

        if (_state.Exists)
        {
            // Re-asserted after every recovery: a crash may have come between an event and its index write.
            _index.UpsertAsync(JobIndexEntry.Of(_state));
        }

        if (_state.Exists && !_state.IsTerminal)
        {
            _log.LogInformation("Job {JobId}: resuming ({Status}, {Done} page(s) done)", _state.JobId, _state.Status, _state.Pages.Count);
            RequestSlot();
        }
        else
        {
            Context.SetReceiveTimeout(_options.IdleBeforePassivation);
        }
    }

    private void Handle(IJobCommand command, IActorRef replyTo, Action? afterPersist = null)
    {
        var decision = _state.Decide(command, DateTimeOffset.UtcNow);
        if (decision.Events.IsEmpty)
        {
            if (decision.Reply is ResultToRead)
            {
                // The pages' text and words are in the job's events, not in its state.
                var journal = Akka.Persistence.Persistence.Instance.Apply(Context.System).JournalFor(JournalPluginId);
                Context.ActorOf(JobResultReader.Props(_state, PersistenceId, LastSequenceNr, journal, replyTo));
            }
            else if (decision.Reply is { } reply)
            {
                replyTo.Tell(reply);
            }

            if (command is StartJob)
            {
                // A slot offered to a job that has ended (or was never submitted) goes straight back.
                ReleaseSlot();
            }

            afterPersist?.Invoke();
            return;
        }

        if (decision.Events.Any(e => JobEvents.EndsJob(e) || e is JobDeleted))
        {
            // The page stream stops now, not after the write; the slot goes back once the end is recorded
            // (so the next job on that node starts after this one ended, by the clock of both).
            StopStream();
        }

        if (decision.Events.Any(e => e is JobDeleted))
        {
            StoredPathOfDeleted = _state.Spec?.StoredPath;
        }

        var last = decision.Events[^1];
        var writing = System.Diagnostics.Stopwatch.StartNew();
        PersistAll(decision.Events, e =>
        {
            if (ReferenceEquals(e, last))
            {
                Metrics.OcrMetrics.JournalWritten(writing.Elapsed);
            }

            _state = _state.Apply(e);
            AfterPersisted(e);
            if (!ReferenceEquals(e, last))
            {
                return;
            }

            Reply(e, decision.Reply, replyTo);
            afterPersist?.Invoke();
        });
    }

    /// <summary>What a persisted event calls for, besides its reply.</summary>
    private void AfterPersisted(IJobEvent e)
    {
        if (e is JobDeleted)
        {
            ReleaseSlot();
            return;
        }

        Progress.ProgressForwarder.Publish(Context.System, _state.ToProgress(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0));
        if (e is not JobSubmitted)
        {
            _index.UpsertAsync(JobIndexEntry.Of(_state));
        }

        switch (e)
        {
            case JobSubmitted:
                Metrics.OcrMetrics.Submitted();
                RequestSlot();
                break;
            case PageCompleted page:
                Metrics.OcrMetrics.PageRead(page.Page);
                break;
            case JobStarted:
                StartRun();
                break;
            case var ended when JobEvents.EndsJob(ended):
                _log.LogInformation("Job {JobId}: {Status}{Error}", _state.JobId, _state.Status, _state.Error is null ? "" : $" ({_state.Error})");
                Metrics.OcrMetrics.Finished(_state);
                ReleaseSlot();
                // A long job's result is read back from one snapshot instead of replaying every page.
                if (_eventsSinceSnapshot >= SnapshotAtEndAfter)
                {
                    SaveSnapshot(_state);
                    _eventsSinceSnapshot = 0;
                }

                Context.SetReceiveTimeout(_options.IdleBeforePassivation);
                return;
        }

        if (++_eventsSinceSnapshot >= _options.SnapshotEvery)
        {
            _eventsSinceSnapshot = 0;
            SaveSnapshot(_state);
        }
    }

    private void Reply(IJobEvent last, IJobReply? reply, IActorRef replyTo)
    {
        switch (last)
        {
            case JobSubmitted when reply is not null:
                // 202 only once the job is in the index too: that is what a restart resumes from.
                var accepted = reply;
                _index.UpsertAsync(JobIndexEntry.Of(_state)).PipeTo(Self,
                    success: () => new IndexWritten(replyTo, accepted),
                    failure: error => new IndexWritten(replyTo, new Failed(_state.JobId!, $"the job index could not be written: {error.Message}")));
                break;
            case JobDeleted:
                _deleteRequester = replyTo;
                DeleteAllSnapshots();
                break;
            default:
                if (reply is not null)
                {
                    replyTo.Tell(reply);
                }

                break;
        }
    }

    /// <summary>Asks every node's admission for a slot, and again every few seconds until one is offered (nodes come and go).</summary>
    private void RequestSlot()
    {
        if (_slotRequested || _slotFrom is not null)
        {
            return;
        }

        _slotRequested = true;
        AskForSlot();
        Timers.StartPeriodicTimer(nameof(AskForSlotAgain), AskForSlotAgain.Instance, AskAgainEvery);
    }

    private static readonly TimeSpan AskAgainEvery = TimeSpan.FromSeconds(5);

    private void AskForSlot()
    {
        if (_slotRequested && _state.Exists)
        {
            Admissions.Tell(Context.System, _admission, new NodeAdmission.RequestSlot(_state.JobId!, _state.CreatedAt), Self, except: null);
        }
    }

    /// <summary>How long offers are gathered after the first, when other nodes may offer too.</summary>
    private static readonly TimeSpan OfferWindow = TimeSpan.FromMilliseconds(50);

    private void OnSlotOffered(NodeAdmission.SlotOffered offer)
    {
        if (!_slotRequested || _slotFrom is not null || !_state.Exists || _state.IsTerminal)
        {
            Sender.Tell(new NodeAdmission.DeclineSlot(offer.JobId));
            return;
        }

        _offers.Add((Sender, offer));
        if (_offers.Count > 1)
        {
            return;
        }

        if (Akka.Cluster.Cluster.Get(Context.System).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) <= 1)
        {
            TakeBestOffer();
        }
        else
        {
            Timers.StartSingleTimer(nameof(TakeBestOffer), TakeBestOfferNow.Instance, OfferWindow);
        }
    }

    /// <summary>Takes the offer of the least loaded node (ties at random, so bursts spread) and declines the rest.</summary>
    private void TakeBestOffer()
    {
        if (_offers.Count == 0 || !_slotRequested)
        {
            return;
        }

        var (from, best) = _offers.OrderBy(o => o.Offer.Load).ThenBy(_ => Random.Shared.Next()).First();
        _offers.Clear();
        _slotRequested = false;
        Timers.Cancel(nameof(AskForSlotAgain));
        _slotFrom = from;
        Context.Watch(from);
        Admissions.Tell(Context.System, _admission, new NodeAdmission.DeclineSlot(best.JobId), Self, except: from);
        Handle(new StartJob(_state.JobId!, best.Node), ActorRefs.Nobody);
    }

    private void StartRun()
    {
        if (_run is not null || _slotFrom is null)
        {
            return;
        }

        var spec = _state.Spec!;
        var work = new JobWork(spec.StoredPath, spec.Kind, spec.Pages, spec.Dpi, spec.Language, spec.AutoRotate, _pipeline.Options.Preprocess, spec.Engine);
        _run = new Run();
        Timers.StartSingleTimer(nameof(TimedOut), new TimedOut(_run.Id), _options.JobTimeout);
        _log.LogInformation("Job {JobId}: processing {Kind} upload of {Size} bytes on {Node}", _state.JobId, spec.Kind, spec.FileSize, _state.Node);
        _slotFrom.Tell(new NodeAdmission.TakeSlot(_state.JobId!, work, [.. _state.Pages.Keys]));
    }

    private void OnWorkStream(ISourceRef<IWorkEvent> events)
    {
        var run = _run;
        if (run is null || run.KillSwitch is not null || !Sender.Equals(_slotFrom))
        {
            return; // a stream nobody reads fails its own side after its subscription timeout
        }

        run.KillSwitch = events.Source
            .Select(e => new StreamItem(run.Id, e))
            .ViaMaterialized(KillSwitches.Single<StreamItem>(), Keep.Right)
            .To(Sink.ActorRefWithAck<StreamItem>(Self, new StreamStarted(run.Id), StreamAck.Instance, new StreamFinished(run.Id),
                error => new StreamFailed(run.Id, error)))
            .Run(Context.Materializer());
    }

    /// <summary>The run's node went away (or its offer did) before the job ended: ask for a slot again and carry on from the pages done.</summary>
    private void OnRunLost(string why)
    {
        if (_state.IsTerminal || !_state.Exists)
        {
            return;
        }

        _log.LogWarning("Job {JobId}: its run on {Node} was lost ({Why}); asking for a slot again", _state.JobId, _state.Node, why);
        StopRun();
        RequestSlot();
    }

    private void OnStreamItem(StreamItem item)
    {
        var stream = Sender;
        if (_run is null || _run.Id != item.RunId)
        {
            return;
        }

        IJobCommand command = item.Event switch
        {
            WorkPlanned plan => new RecordPlan(_state.JobId!, plan.PageCount, plan.Planned),
            WorkPage page => new RecordPage(_state.JobId!, page.Page),
            WorkFailed failed => new FailRun(_state.JobId!, failed.Error),
            _ => throw new InvalidOperationException($"unknown work event {item.Event.GetType().Name}"),
        };
        if (item.Event is WorkPlanned planned)
        {
            _log.LogInformation("Job {JobId}: {ToRead} of {Planned} page(s) to do", _state.JobId, planned.ToRead.Length, planned.Planned.Length);
        }

        Handle(command, ActorRefs.Nobody, () => stream.Tell(StreamAck.Instance));
    }

    private void IfCurrent(Guid runId, Action act)
    {
        if (_run is not null && _run.Id == runId)
        {
            act();
        }
    }

    /// <summary>Stops the run (its stream and its slot) and withdraws any request for one.</summary>
    private void StopRun()
    {
        StopStream();
        ReleaseSlot();
    }

    /// <summary>Stops reading the run's stream (which stops the work) and withdraws any request for a slot.</summary>
    private void StopStream()
    {
        if (_slotRequested)
        {
            _slotRequested = false;
            _offers.Clear();
            Timers.Cancel(nameof(TakeBestOffer));
            Timers.Cancel(nameof(AskForSlotAgain));
            Admissions.Tell(Context.System, _admission, new NodeAdmission.DeclineSlot(JobIdOrSelf), Self, except: null);
        }

        if (_run is null)
        {
            return;
        }

        Timers.Cancel(nameof(TimedOut));
        _run.KillSwitch?.Shutdown();
        _run = null;
    }

    private void ReleaseSlot()
    {
        if (_slotFrom is { } from)
        {
            Context.Unwatch(from);
            from.Tell(new NodeAdmission.ReleaseSlot(JobIdOrSelf));
        }

        _slotFrom = null;
    }

    // Deletion: tombstone persisted → snapshots deleted → events deleted → upload and index entry removed → reply → passivate.
    // Snapshots go first: a snapshot outliving the events (a crash in between) would bring the job back on recovery.
    private static readonly SnapshotSelectionCriteria AllSnapshots = new(long.MaxValue, DateTime.MaxValue);

    private void DeleteAllSnapshots() => DeleteSnapshots(AllSnapshots);

    private void OnSnapshotsDeleted(DeleteSnapshotsSuccess success)
    {
        // Only the deletion's own request counts, not an older snapshot pruned after a newer one was saved.
        if (_state.Deleted && success.Criteria.Equals(AllSnapshots))
        {
            DeleteMessages(LastSequenceNr);
        }
    }

    private void OnEventsDeleted()
    {
        var jobId = _state.JobId!;
        var stored = StoredPathOfDeleted;
        Task.Run(async () =>
        {
            if (stored is not null)
            {
                // The upload and what was made from it: the searchable PDF.
                File.Delete(stored);
                File.Delete(Pipeline.Rendering.SearchablePdfBuilder.ArtifactPathFor(stored));
            }

            await _index.DeleteAsync(jobId);
        }).PipeTo(Self, success: () => new DeletionFinished(null), failure: e => new DeletionFinished(e));
    }

    private void OnDeleteFailed(Exception cause)
    {
        if (!_state.Deleted)
        {
            return;
        }

        _log.LogError(cause, "Job {JobId}: deleting its events or snapshots failed", _state.JobId);
        _deleteRequester?.Tell(new Failed(_state.JobId!, $"the job could not be deleted: {cause.Message}"));
        _deleteRequester = null;
    }

    private void OnDeletionFinished(DeletionFinished finished)
    {
        if (finished.Error is { } error)
        {
            _log.LogError(error, "Job {JobId}: removing its upload or index entry failed", _state.JobId);
            _deleteRequester?.Tell(new Failed(_state.JobId!, $"the job could not be deleted: {error.Message}"));
        }
        else
        {
            _log.LogInformation("Job {JobId}: deleted", _state.JobId);
            _deleteRequester?.Tell(new JobReplies.Deleted(_state.JobId!));
        }

        _deleteRequester = null;
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    /// <summary>The upload's path, taken before the tombstone (which forgets the spec) is applied.</summary>
    private string? StoredPathOfDeleted { get; set; }

    protected override void PostStop()
    {
        StopRun();
        base.PostStop();
    }

    /// <summary>One run of the job's work, in the slot of <see cref="_slotFrom"/>.</summary>
    private sealed class Run
    {
        public Guid Id { get; } = Guid.NewGuid();

        public UniqueKillSwitch? KillSwitch { get; set; }
    }

    private sealed class AskForSlotAgain
    {
        public static readonly AskForSlotAgain Instance = new();
    }

    private sealed class TakeBestOfferNow
    {
        public static readonly TakeBestOfferNow Instance = new();
    }

    private sealed record StreamItem(Guid RunId, IWorkEvent Event);

    private sealed record StreamStarted(Guid RunId);

    private sealed record StreamFinished(Guid RunId);

    private sealed record StreamFailed(Guid RunId, Exception Error);

    private sealed record TimedOut(Guid RunId);

    private sealed record IndexWritten(IActorRef ReplyTo, IJobReply Reply);

    private sealed record DeletionFinished(Exception? Error);

    private sealed class StreamAck
    {
        public static readonly StreamAck Instance = new();
    }
}
