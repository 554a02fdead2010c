using Akka.Actor;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Akka.Streams;
using Akka.Streams.Dsl;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Streams;

namespace Ocr.Actors.Jobs;

/// <summary>
/// This node's job slots and the work run in them. At most <see cref="JobOptions.MaxConcurrentJobs"/>
/// jobs run here at once. A waiting job's entity, wherever it lives, asks every node's admission;
/// each offers its free slots to the waiting jobs in acceptance order, and the entity takes the
/// first offer and declines the rest, so work goes to whichever node has room. A taken slot runs
/// the job's page stream here and hands the entity a stream reference to read it from. A
/// submission first reserves a place in the queue (a full queue is refused before anything is
/// persisted). Slots come back when the entity releases them (once it has recorded the job's
/// end) or stops (death watch).
/// </summary>
public sealed class NodeAdmission : ReceiveActor, IWithTimers
{
    public const string ActorName = "admission";
    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan OfferLifetime = TimeSpan.FromSeconds(10);
    private readonly JobOptions _options;
    private readonly PagePipeline? _pipeline;
    private readonly string _node;
    private readonly Func<DateTimeOffset> _clock;
    private readonly ILogger _log;
    private readonly SortedSet<Waiting> _waiting = new(WaitingOrder.Instance);
    private readonly Dictionary<JobId, Waiting> _waitingById = [];
    private readonly Dictionary<JobId, DateTimeOffset> _reserved = [];
    private readonly Dictionary<JobId, Waiting> _offered = [];
    private readonly Dictionary<JobId, RunningWork> _running = [];
    private bool _draining;

    public NodeAdmission(JobOptions options, PagePipeline? pipeline, string node, Func<DateTimeOffset>? clock = null, ILogger? log = null)
    {
        _log = log ?? NullLogger.Instance;
        _options = options;
        _pipeline = pipeline;
        _node = node;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);

        Receive<Reserve>(OnReserve);
        Receive<RequestSlot>(OnRequest);
        Receive<TakeSlot>(OnTake);
        Receive<DeclineSlot>(d => Release(d.JobId, Sender));
        Receive<ReleaseSlot>(r => Release(r.JobId, null));
        Receive<OfferExpired>(OnOfferExpired);
        Receive<Terminated>(t => ReleaseAllOf(t.ActorRef));
        Receive<GetAdmission>(_ => Sender.Tell(Snapshot()));
        Receive<Drain>(drain =>
        {
            _draining = true;
            if (drain.HandOverRunning)
            {
                HandOverRunning();
            }

            Sender.Tell(Snapshot());
        });
        Receive<ExpireReservations>(_ => ExpireOld());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        Metrics.OcrMetrics.AdmissionChanged(SlotsHeld, Queued);
        return handled;
    }

    /// <summary>The path of the admission on the node at <paramref name="node"/>.</summary>
    public static ActorPath PathOn(Address node) => new RootActorPath(node) / "user" / ActorName;

    public static Props Props(JobOptions options, PagePipeline? pipeline = null, string node = "local", ILogger? log = null) =>
        Akka.Actor.Props.Create(() => new NodeAdmission(options, pipeline, node, null, log));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer(nameof(ExpireReservations), ExpireReservations.Instance, ReservationLifetime);

    protected override void PostStop()
    {
        foreach (var work in _running.Values)
        {
            work.Stop();
        }
    }

    /// <summary>Waiting jobs (reserved or asking) against the queue limit.</summary>
    private int Queued => _waitingById.Count + _reserved.Count;

    /// <summary>Slots running work or offered and not yet answered.</summary>
    private int SlotsHeld => _running.Count + _offered.Count;

    /// <summary>The share of this node's slots held apart from <paramref name="besides"/> of them (0 = idle), sent with an offer.</summary>
    private double Load(int besides = 0) => (double)(SlotsHeld - besides) / _options.MaxConcurrentJobs;

    private void OnReserve(Reserve reserve)
    {
        if (Queued >= _options.MaxQueuedJobs)
        {
            Sender.Tell(new JobReplies.QueueFull(RetryAfterSeconds(Queued)));
            return;
        }

        _reserved[reserve.JobId] = _clock();
        Sender.Tell(new Reserved(reserve.JobId));
    }

    /// <summary>Seconds until a place is likely to free up: the queue ahead over the slots, at a tenth of the timeout per job.</summary>
    private int RetryAfterSeconds(int queued)
    {
        var perJob = Math.Max(1, (int)_options.JobTimeout.TotalSeconds / 10);
        return Math.Clamp(perJob * queued / Math.Max(1, _options.MaxConcurrentJobs), 1, 300);
    }

    private void OnRequest(RequestSlot request)
    {
        _reserved.Remove(request.JobId);
        if (_running.TryGetValue(request.JobId, out var running))
        {
            if (running.Entity.Equals(Sender))
            {
                return; // asked again while its work runs here: nothing to do
            }

            // A new incarnation of the entity (the old one's node went away): the old run is orphaned.
            _running.Remove(request.JobId);
            running.Stop();
        }

        if (_offered.TryGetValue(request.JobId, out var offered) && offered.Entity.Equals(Sender))
        {
            Sender.Tell(new SlotOffered(request.JobId, _node, Load(besides: 1)));
            return;
        }

        _offered.Remove(request.JobId);
        if (_waitingById.Remove(request.JobId, out var stale))
        {
            _waiting.Remove(stale);
        }

        var waiting = new Waiting(request.JobId, request.AcceptedAt, Sender);
        _waiting.Add(waiting);
        _waitingById[request.JobId] = waiting;
        Context.Watch(Sender);
        OfferFree();
    }

    private void OfferFree()
    {
        while (!_draining && SlotsHeld < _options.MaxConcurrentJobs && _waiting.Min is { } next)
        {
            _waiting.Remove(next);
            _waitingById.Remove(next.JobId);
            var load = Load();
            _offered[next.JobId] = next;
            Timers.StartSingleTimer(("offer", next.JobId), new OfferExpired(next.JobId, next.Entity), OfferLifetime);
            next.Entity.Tell(new SlotOffered(next.JobId, _node, load));
        }
    }

    private void OnTake(TakeSlot take)
    {
        // An offer made before the node was drained is withdrawn when taken: draining, it starts no more work.
        if (!_offered.Remove(take.JobId, out var offer) || !offer.Entity.Equals(Sender) || _pipeline is null || _draining)
        {
            Sender.Tell(new SlotWithdrawn(take.JobId));
            OfferFree();
            return;
        }

        Timers.Cancel(("offer", take.JobId));
        var work = new RunningWork(Sender, new CancellationTokenSource());
        _running[take.JobId] = work;
        var jobId = take.JobId;
        // In a cluster the upload was written by whichever node took the submit: this node must see it too.
        var events = File.Exists(take.Work.FilePath)
            ? _pipeline.Run(take.Work, take.Done.ToHashSet(), work.Cancellation.Token)
                .Select(e => e switch
                {
                    DocumentPlanned plan => (IWorkEvent)new WorkPlanned(plan.PageCount, [.. plan.Planned], [.. plan.ToRead]),
                    PageRead read => new WorkPage(StoredPage.From(read.Page with { Node = _node })),
                    _ => throw new InvalidOperationException($"unknown page stream event {e.GetType().Name}"),
                })
                .Recover(error => Akka.Util.Option<IWorkEvent>.Create(new WorkFailed(Describe(error))))
            : Source.Single<IWorkEvent>(new WorkFailed(UploadUnreadable($"{take.Work.FilePath} is not there")));
        var ((killSwitch, ended), sourceRef) = events
            .ViaMaterialized(KillSwitches.Single<IWorkEvent>(), Keep.Right)
            .WatchTermination(Keep.Both)
            .ToMaterialized(StreamRefs.SourceRef<IWorkEvent>(), Keep.Both)
            .Run(Context.Materializer());
        work.KillSwitch = killSwitch;
        work.Ended = ended;
        _log.LogInformation("Job {JobId}: running on node {Node}", jobId, _node);
        // The reference itself is the reply: stream references have their own serializer across nodes.
        sourceRef.PipeTo(Sender, Self, failure: _ => new SlotWithdrawn(jobId));
    }

    private string Describe(Exception error)
    {
        var cause = error is AggregateException { InnerException: { } inner } ? inner : error;
        if (cause is OcrDocumentException or OcrPageException)
        {
            return cause.Message;
        }

        if (cause is OperationCanceledException)
        {
            return "processing was stopped";
        }

        if (cause is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return UploadUnreadable(cause.Message);
        }

        _log.LogError(cause, "A job failed unexpectedly on node {Node}", _node);
        return $"processing failed: {cause.Message}";
    }

    private string UploadUnreadable(string why) =>
        $"node {_node} cannot read the job's upload ({why}); in cluster mode OCR_UPLOADS_DIR must be a directory every node sees at the same path";

    private void OnOfferExpired(OfferExpired expired)
    {
        if (_offered.TryGetValue(expired.JobId, out var offer) && offer.Entity.Equals(expired.Entity))
        {
            // Not answered (a lost message, a busy entity): back in the queue, and the slot goes to the next.
            _offered.Remove(expired.JobId);
            _waiting.Add(offer);
            _waitingById[offer.JobId] = offer;
            OfferFree();
        }
    }

    /// <summary>A job gives up its place here: <paramref name="entity"/> when it declined an offer, null to release in any case.</summary>
    private void Release(JobId jobId, IActorRef? entity)
    {
        _reserved.Remove(jobId);
        if (_waitingById.Remove(jobId, out var waiting))
        {
            _waiting.Remove(waiting);
        }

        if (_offered.Remove(jobId))
        {
            Timers.Cancel(("offer", jobId));
        }

        if (entity is null && _running.Remove(jobId, out var work))
        {
            work.Stop();
        }

        OfferFree();
    }

    private void ReleaseAllOf(IActorRef entity)
    {
        foreach (var (id, work) in _running.Where(r => r.Value.Entity.Equals(entity)).ToList())
        {
            _running.Remove(id);
            work.Stop();
        }

        foreach (var id in _offered.Where(o => o.Value.Entity.Equals(entity)).Select(o => o.Key).ToList())
        {
            _offered.Remove(id);
        }

        foreach (var waiting in _waiting.Where(w => w.Entity.Equals(entity)).ToList())
        {
            _waiting.Remove(waiting);
            _waitingById.Remove(waiting.JobId);
        }

        OfferFree();
    }

    /// <summary>
    /// The node is leaving: its running work fails its streams, so each job's entity asks the other
    /// nodes for a slot and carries on there from its last recorded page (the page being read is read again).
    /// </summary>
    private void HandOverRunning()
    {
        foreach (var (id, work) in _running)
        {
            _log.LogInformation("Job {JobId}: handed over, node {Node} is leaving", id, _node);
            work.Abort(new NodeLeavingException(_node));
        }

        _running.Clear();
    }

    private void ExpireOld()
    {
        var cutoff = _clock() - ReservationLifetime;
        foreach (var id in _reserved.Where(r => r.Value < cutoff).Select(r => r.Key).ToList())
        {
            _reserved.Remove(id);
        }
    }

    private AdmissionState Snapshot() => new(
        SlotsHeld, Queued, _options.MaxConcurrentJobs, _options.MaxQueuedJobs,
        _waiting.Min?.AcceptedAt, _waiting.Select(w => w.JobId.Value).ToList(), [.. _running.Keys.Concat(_offered.Keys).Select(k => k.Value)], _node, _draining);

    private sealed record Waiting(JobId JobId, DateTimeOffset AcceptedAt, IActorRef Entity);

    private sealed class RunningWork(IActorRef entity, CancellationTokenSource cancellation)
    {
        public IActorRef Entity { get; } = entity;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public UniqueKillSwitch? KillSwitch { get; set; }

        public void Stop()
        {
            try
            {
                Cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }

            KillSwitch?.Shutdown();
        }

        /// <summary>What its stream has passed on to its reader has ended.</summary>
        public Task? Ended { get; set; }

        /// <summary>Fails the work's stream with <paramref name="reason"/> (its reader sees the run lost, not finished), then stops the work.</summary>
        public void Abort(Exception reason)
        {
            KillSwitch?.Abort(reason);
            // Only once the failure has passed: cancelled first, the work would end the stream with its own
            // "processing was stopped", and the job would fail instead of moving.
            (Ended ?? Task.CompletedTask).ContinueWith(_ => Stop(), TaskScheduler.Default);
        }
    }

    private sealed class WaitingOrder : IComparer<Waiting>
    {
        public static readonly WaitingOrder Instance = new();

        public int Compare(Waiting? x, Waiting? y)
        {
            var byTime = x!.AcceptedAt.CompareTo(y!.AcceptedAt);
            return byTime != 0 ? byTime : string.CompareOrdinal(x.JobId.Value, y.JobId.Value);
        }
    }

    private sealed class ExpireReservations
    {
        public static readonly ExpireReservations Instance = new();
    }

    private sealed record OfferExpired(JobId JobId, IActorRef Entity);

    /// <summary>A submission asks for a place in the queue before its job is persisted.</summary>
    public sealed record Reserve(JobId JobId) : IOcrProtocolMember;

    public sealed record Reserved(JobId JobId) : JobReplies.IJobReply;

    /// <summary>A job's entity asks for a slot (it may hear <see cref="SlotOffered"/>); asking again is harmless.</summary>
    public sealed record RequestSlot(JobId JobId, DateTimeOffset AcceptedAt) : IOcrProtocolMember;

    /// <summary>
    /// A slot on <paramref name="Node"/> is held for the job: take it or decline it. <paramref name="Load"/>
    /// is the share of the node's slots already held when it was offered (0 = idle).
    /// </summary>
    public sealed record SlotOffered(JobId JobId, string Node, double Load = 0) : IOcrProtocolMember;

    /// <summary>The entity takes the slot offered: run these pages here (the reply is an <see cref="ISourceRef{IWorkEvent}"/> of the work).</summary>
    public sealed record TakeSlot(JobId JobId, JobWork Work, int[] Done) : IOcrProtocolMember;

    /// <summary>The entity withdraws its request or declines an offer (it took a slot elsewhere, or ended).</summary>
    public sealed record DeclineSlot(JobId JobId) : IOcrProtocolMember;

    /// <summary>The offer taken was no longer held: ask again.</summary>
    public sealed record SlotWithdrawn(JobId JobId) : IOcrProtocolMember;

    public sealed record ReleaseSlot(JobId JobId) : IOcrProtocolMember;

    /// <summary>
    /// Stop offering slots. Drained by an operator, running work carries on; leaving (<paramref name="HandOverRunning"/>),
    /// the running work stops at once and its jobs go on elsewhere.
    /// </summary>
    public sealed record Drain(bool HandOverRunning = false) : IOcrProtocolMember
    {
        public static readonly Drain Instance = new();

        public static readonly Drain Leaving = new(HandOverRunning: true);
    }

    /// <summary>Why a leaving node's work stream failed.</summary>
    public sealed class NodeLeavingException(string node) : Exception($"node {node} is leaving the cluster");

    public sealed record GetAdmission : IOcrProtocolMember
    {
        public static readonly GetAdmission Instance = new();
    }

    /// <summary>Slots held (<see cref="Running"/>: work running or a slot offered and not yet answered) and the queue.</summary>
    public sealed record AdmissionState(
        int Running, int Queued, int MaxConcurrentJobs, int MaxQueuedJobs, DateTimeOffset? OldestWaiting,
        IReadOnlyList<string> WaitingInOrder, IReadOnlyList<string> RunningJobs, string Node = "local", bool Draining = false) : IOcrProtocolMember;
}

/// <summary>What a job's work reports to its entity, across nodes (through a stream reference).</summary>
public interface IWorkEvent : IOcrProtocolMember;

public sealed record WorkPlanned(int PageCount, int[] Planned, int[] ToRead) : IWorkEvent;

public sealed record WorkPage(StoredPage Page) : IWorkEvent;

/// <summary>The work stopped on an error of the job (its document, a page): the job fails with it.</summary>
public sealed record WorkFailed(string Error) : IWorkEvent;
