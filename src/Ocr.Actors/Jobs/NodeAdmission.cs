using Akka.Actor;

namespace Ocr.Actors.Jobs;

/// <summary>
/// This node's job slots: at most <see cref="JobOptions.MaxConcurrentJobs"/> jobs hosted here run
/// at once, the rest wait and are granted a slot in acceptance order. A submission first reserves
/// a place in the queue (so a full queue is refused before anything is persisted); the job's
/// entity then asks for its slot, and gives it back when it ends or stops.
/// </summary>
public sealed class NodeAdmission : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromSeconds(30);
    private readonly JobOptions _options;
    private readonly Func<DateTimeOffset> _clock;
    private readonly SortedSet<Waiting> _waiting = new(WaitingOrder.Instance);
    private readonly Dictionary<JobId, Waiting> _waitingById = [];
    private readonly Dictionary<JobId, DateTimeOffset> _reserved = [];
    private readonly Dictionary<JobId, IActorRef> _running = [];

    public NodeAdmission(JobOptions options, Func<DateTimeOffset>? clock = null)
    {
        _options = options;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);

        Receive<Reserve>(OnReserve);
        Receive<RequestSlot>(OnRequest);
        Receive<ReleaseSlot>(r => Release(r.JobId));
        Receive<Terminated>(t => ReleaseAllOf(t.ActorRef));
        Receive<GetAdmission>(_ => Sender.Tell(Snapshot()));
        Receive<ExpireReservations>(_ => ExpireOld());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(JobOptions options) => Akka.Actor.Props.Create(() => new NodeAdmission(options, null));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer(nameof(ExpireReservations), ExpireReservations.Instance, ReservationLifetime);

    /// <summary>Waiting jobs (reserved or asking) against the queue limit.</summary>
    private int Queued => _waitingById.Count + _reserved.Count;

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
        if (_running.ContainsKey(request.JobId))
        {
            Sender.Tell(new SlotGranted(request.JobId));
            return;
        }

        if (_waitingById.Remove(request.JobId, out var stale))
        {
            _waiting.Remove(stale);
        }

        var waiting = new Waiting(request.JobId, request.AcceptedAt, Sender);
        _waiting.Add(waiting);
        _waitingById[request.JobId] = waiting;
        Context.Watch(Sender);
        GrantFree();
    }

    private void GrantFree()
    {
        while (_running.Count < _options.MaxConcurrentJobs && _waiting.Min is { } next)
        {
            _waiting.Remove(next);
            _waitingById.Remove(next.JobId);
            _running[next.JobId] = next.Entity;
            next.Entity.Tell(new SlotGranted(next.JobId));
        }
    }

    private void Release(JobId jobId)
    {
        _reserved.Remove(jobId);
        if (_waitingById.Remove(jobId, out var waiting))
        {
            _waiting.Remove(waiting);
        }

        _running.Remove(jobId);
        GrantFree();
    }

    private void ReleaseAllOf(IActorRef entity)
    {
        foreach (var id in _running.Where(r => r.Value.Equals(entity)).Select(r => r.Key).ToList())
        {
            _running.Remove(id);
        }

        foreach (var waiting in _waiting.Where(w => w.Entity.Equals(entity)).ToList())
        {
            _waiting.Remove(waiting);
            _waitingById.Remove(waiting.JobId);
        }

        GrantFree();
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
        _running.Count, Queued, _options.MaxConcurrentJobs, _options.MaxQueuedJobs,
        _waiting.Min?.AcceptedAt, _waiting.Select(w => w.JobId.Value).ToList(), _running.Keys.Select(k => k.Value).ToList());

    private sealed record Waiting(JobId JobId, DateTimeOffset AcceptedAt, IActorRef Entity);

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

    /// <summary>A submission asks for a place in the queue before its job is persisted.</summary>
    public sealed record Reserve(JobId JobId) : IOcrProtocolMember;

    public sealed record Reserved(JobId JobId) : JobReplies.IJobReply;

    /// <summary>A job's entity asks for a slot (its sender gets <see cref="SlotGranted"/>).</summary>
    public sealed record RequestSlot(JobId JobId, DateTimeOffset AcceptedAt) : IOcrProtocolMember;

    public sealed record SlotGranted(JobId JobId) : IOcrProtocolMember;

    public sealed record ReleaseSlot(JobId JobId) : IOcrProtocolMember;

    public sealed record GetAdmission : IOcrProtocolMember
    {
        public static readonly GetAdmission Instance = new();
    }

    public sealed record AdmissionState(
        int Running, int Queued, int MaxConcurrentJobs, int MaxQueuedJobs, DateTimeOffset? OldestWaiting,
        IReadOnlyList<string> WaitingInOrder, IReadOnlyList<string> RunningJobs) : IOcrProtocolMember;
}
