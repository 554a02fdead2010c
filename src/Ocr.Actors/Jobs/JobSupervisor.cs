using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Ocr.Pipeline.Streams;
using static Ocr.Actors.Jobs.JobCommands;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Actors.Jobs;

/// <summary>
/// Admits jobs (FIFO queue, at most MaxConcurrentJobs running on this node), owns one child
/// actor per job, and keeps a durable index of jobs per user so history, recovery and
/// cleanup survive restarts.
/// </summary>
public sealed class JobSupervisor : ReceivePersistentActor
{
    private readonly PagePipeline _pipeline;
    private readonly JobOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<JobId, JobIndexEntry> _jobs = [];
    private readonly Dictionary<UserId, List<JobId>> _byUser = [];
    private readonly LinkedList<JobId> _queue = new();
    private readonly HashSet<JobId> _running = [];
    private readonly Dictionary<JobId, List<(object Message, IActorRef Sender)>> _passivating = [];
    private long _completed;
    private long _failed;
    private long _cancelled;

    public JobSupervisor(PagePipeline pipeline, JobOptions options)
    {
        _pipeline = pipeline;
        _options = options;

        Recover<JobAccepted>(Index);
        Recover<JobFinished>(e => MarkEnded(e.JobId, e.Status));
        Recover<JobFileRemoved>(e => MarkCleaned(e.JobId));
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<SubmitJob>(OnSubmit);
        Command<GetStatus>(c => ForwardIfVisible(c, c.Requester));
        Command<GetResult>(c => ForwardIfVisible(c, c.Requester));
        Command<CancelJob>(c => ForwardIfVisible(c, c.Requester));
        Command<ListJobs>(OnList);
        Command<GetStats>(_ => Sender.Tell(Stats()));
        Command<Ping>(_ => Sender.Tell(new Pong(_running.Count, _queue.Count)));
        Command<JobEnded>(OnJobEnded);
        Command<Accepted>(_ => { }); // a recovered child confirming a re-sent submission
        Command<Passivate>(OnPassivate);
        Command<Terminated>(OnChildStopped);
        Command<JobFileCleaned>(c =>
        {
            if (_jobs.TryGetValue(c.JobId, out var entry) && !entry.Cleaned)
            {
                Persist(new JobFileRemoved(c.JobId), e => MarkCleaned(e.JobId));
            }
        });
    }

    public override string PersistenceId => "ocr-job-supervisor";

    public static Props Props(PagePipeline pipeline, JobOptions options) =>
        Akka.Actor.Props.Create(() => new JobSupervisor(pipeline, options));

    private void OnRecovered()
    {
        // Unfinished jobs (interrupted or still pending) resume in the order they were accepted.
        foreach (var (id, entry) in _jobs.OrderBy(j => j.Value.CreatedAt))
        {
            if (!entry.Ended)
            {
                _queue.AddLast(id);
                var child = ChildFor(id);
                child.Tell(new SubmitJob(id, entry.Owner, entry.Spec, entry.CreatedAt));
            }
            else if (!entry.Cleaned)
            {
                ChildFor(id); // its recovery schedules the upload's deletion
            }
        }

        _log.Info("Job supervisor recovered {0} job(s); {1} to resume", _jobs.Count, _queue.Count);
        StartNext();
    }

    private void OnSubmit(SubmitJob command)
    {
        if (_queue.Count >= _options.MaxQueuedJobs)
        {
            var perJob = Math.Max(1, (int)_options.JobTimeout.TotalSeconds / 10);
            Sender.Tell(new QueueFull(Math.Clamp(perJob * _queue.Count / Math.Max(1, _options.MaxConcurrentJobs), 1, 300)));
            return;
        }

        var sender = Sender;
        Persist(new JobAccepted(command.JobId, command.Owner, command.Spec, command.At), e =>
        {
            Index(e);
            _queue.AddLast(e.JobId);
            ChildFor(e.JobId).Tell(command, sender);
            StartNext();
        });
    }

    private void OnJobEnded(JobEnded ended)
    {
        _running.Remove(ended.JobId);
        _queue.Remove(ended.JobId);
        if (_jobs.TryGetValue(ended.JobId, out var entry) && !entry.Ended)
        {
            Persist(new JobFinished(ended.JobId, ended.Status), e => MarkEnded(e.JobId, e.Status));
        }

        StartNext();
    }

    private void StartNext()
    {
        while (_running.Count < _options.MaxConcurrentJobs && _queue.First is { } first)
        {
            _queue.RemoveFirst();
            _running.Add(first.Value);
            ChildFor(first.Value).Tell(new StartJob(first.Value));
        }
    }

    private void ForwardIfVisible(IJobCommand command, UserId requester)
    {
        if (!_jobs.TryGetValue(command.JobId, out var entry))
        {
            Sender.Tell(new NotFound(command.JobId));
        }
        else if (entry.Owner != requester)
        {
            Sender.Tell(new Forbidden(command.JobId));
        }
        else
        {
            Deliver(command.JobId, command, Sender);
        }
    }

    /// <summary>Sends to the job's actor, holding messages back while an idle one is stopping.</summary>
    private void Deliver(JobId id, object message, IActorRef sender)
    {
        if (_passivating.TryGetValue(id, out var held))
        {
            held.Add((message, sender));
        }
        else
        {
            ChildFor(id).Tell(message, sender);
        }
    }

    /// <summary>A finished, cleaned-up job's actor asked to stop: its state lives on in the journal.</summary>
    private void OnPassivate(Passivate passivate)
    {
        var child = Context.Child(passivate.JobId.Value);
        if (child.IsNobody() || _passivating.ContainsKey(passivate.JobId) || _running.Contains(passivate.JobId) || _queue.Contains(passivate.JobId))
        {
            return;
        }

        _passivating[passivate.JobId] = [];
        Context.Watch(child);
        child.Tell(PoisonPill.Instance);
    }

    private void OnChildStopped(Terminated terminated)
    {
        var id = new JobId(terminated.ActorRef.Path.Name);
        if (_passivating.Remove(id, out var held) && held.Count > 0)
        {
            var child = ChildFor(id);
            foreach (var (message, sender) in held)
            {
                child.Tell(message, sender);
            }
        }
    }

    private void OnList(ListJobs query)
    {
        var ids = _byUser.TryGetValue(query.User, out var list)
            ? list.AsEnumerable().Reverse().Take(query.Limit).ToList()
            : [];
        var timeout = TimeSpan.FromSeconds(5);
        // Through Self, so that a job whose actor is stopping (passivation) is still answered.
        var asks = ids.Select(id => Self.Ask<IJobReply>(new GetStatus(id, query.User), timeout)).ToList();
        Task.WhenAll(asks).PipeTo(Sender,
            success: replies => new JobList(replies.OfType<JobReplies.Status>().Select(s => s.View).ToList()),
            failure: e => new Akka.Actor.Status.Failure(e));
    }

    private JobStats Stats()
    {
        var pending = _queue.Count;
        return new JobStats(pending, _running.Count, _completed, _failed, _cancelled, _jobs.Count, _options.MaxConcurrentJobs,
            _options.MaxQueuedJobs, _pipeline.Pool.Size, _pipeline.Pool.Busy, _pipeline.Pool.Queued, _pipeline.Pool.PagesRecognized);
    }

    private IActorRef ChildFor(JobId id)
    {
        var name = id.Value;
        var child = Context.Child(name);
        return child.IsNobody() ? Context.ActorOf(JobActor.Props(id, _pipeline, _options), name) : child;
    }

    private void Index(JobAccepted e)
    {
        _jobs[e.JobId] = new JobIndexEntry(e.Owner, e.Spec, e.At, Ended: false, Cleaned: false);
        if (!_byUser.TryGetValue(e.Owner, out var list))
        {
            _byUser[e.Owner] = list = [];
        }

        list.Add(e.JobId);
    }

    private void MarkEnded(JobId id, string status)
    {
        if (_jobs.TryGetValue(id, out var entry))
        {
            _jobs[id] = entry with { Ended = true };
        }

        _ = status switch
        {
            JobStatuses.Completed => ++_completed,
            JobStatuses.Failed => ++_failed,
            JobStatuses.Cancelled => ++_cancelled,
            _ => 0,
        };
    }

    private void MarkCleaned(JobId id)
    {
        if (_jobs.TryGetValue(id, out var entry))
        {
            _jobs[id] = entry with { Cleaned = true };
        }
    }

    private sealed record JobIndexEntry(UserId Owner, JobSpec Spec, DateTimeOffset CreatedAt, bool Ended, bool Cleaned);

    // Supervisor events (persisted) and the messages that only its children and the host send.
    public sealed record JobAccepted(JobId JobId, UserId Owner, JobSpec Spec, DateTimeOffset At) : IJobEvent;

    public sealed record JobFinished(JobId JobId, string Status) : IJobEvent;

    public sealed record JobFileRemoved(JobId JobId) : IJobEvent;

    public sealed record JobEnded(JobId JobId, string Status) : IOcrProtocolMember;

    public sealed record JobFileCleaned(JobId JobId) : IOcrProtocolMember;

    public sealed record Passivate(JobId JobId) : IOcrProtocolMember;

    public sealed record ListJobs(UserId User, int Limit) : IOcrProtocolMember;

    public sealed record JobList(IReadOnlyList<JobStatusView> Jobs) : IOcrProtocolMember;

    public sealed record GetStats : IOcrProtocolMember
    {
        public static readonly GetStats Instance = new();
    }

    public sealed record JobStats(
        int Pending, int Processing, long Completed, long Failed, long Cancelled, int TotalJobs, int MaxConcurrentJobs, int MaxQueuedJobs,
        int Engines, int EnginesBusy, int PagesQueued, long PagesRecognized) : IOcrProtocolMember;

    public sealed record Ping : IOcrProtocolMember
    {
        public static readonly Ping Instance = new();
    }

    public sealed record Pong(int Running, int Queued) : IOcrProtocolMember;
}
