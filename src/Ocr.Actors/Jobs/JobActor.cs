using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Streams;
using Akka.Streams.Dsl;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Streams;
using static Ocr.Actors.Jobs.JobCommands;
using static Ocr.Actors.Jobs.JobEvents;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Actors.Jobs;

/// <summary>
/// One job, event-sourced. Runs the job's page graph when the supervisor starts it, persists
/// each page as it finishes (a resumed job skips those), and tells the supervisor when it ends.
/// </summary>
public sealed class JobActor : ReceivePersistentActor, IWithTimers
{
    private readonly PagePipeline _pipeline;
    private readonly JobOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private JobState _state = JobState.Empty;
    private Run? _run;
    private int _eventsSinceSnapshot;

    public JobActor(JobId jobId, PagePipeline pipeline, JobOptions options)
    {
        PersistenceId = $"ocr-job-{jobId.Value}";
        _pipeline = pipeline;
        _options = options;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is JobState state)
            {
                _state = state;
            }
        });
        Recover<IJobEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => OnRecovered());

        Command<SubmitJob>(OnSubmit);
        Command<StartJob>(_ => OnStart());
        Command<GetStatus>(c => Sender.Tell(_state.DecideRead(c.Requester, wantResult: false, partial: false)));
        Command<GetResult>(c => Sender.Tell(_state.DecideRead(c.Requester, wantResult: true, c.Partial)));
        Command<CancelJob>(OnCancel);
        Command<DocumentOpened>(OnDocumentOpened);
        Command<StreamStarted>(_ => Sender.Tell(StreamAck.Instance));
        Command<PageResult>(OnPage);
        Command<StreamFinished>(OnStreamFinished);
        Command<StreamFailed>(f => OnStreamFailed(f));
        Command<TimedOut>(t => OnTimedOut(t));
        Command<CleanupDue>(_ => OnCleanupDue());
        Command<ReceiveTimeout>(_ => Context.Parent.Tell(new JobSupervisor.Passivate(_state.JobId ?? new JobId(Self.Path.Name))));
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "Snapshot of job {0} failed", PersistenceId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(JobId jobId, PagePipeline pipeline, JobOptions options) =>
        Akka.Actor.Props.Create(() => new JobActor(jobId, pipeline, options));

    private void OnRecovered()
    {
        if (_state.IsTerminal && !_state.FileCleaned)
        {
            ScheduleCleanup();
        }

        PassivateWhenIdle();
    }

    /// <summary>A finished job whose upload is gone has nothing left to do: it stops after a quiet spell.</summary>
    private void PassivateWhenIdle()
    {
        if (_state.IsTerminal && _state.FileCleaned)
        {
            Context.SetReceiveTimeout(_options.IdleBeforePassivation);
        }
    }

    private void OnSubmit(SubmitJob command)
    {
        if (_state.Exists)
        {
            Sender.Tell(new Accepted(command.JobId));
            return;
        }

        var sender = Sender;
        Persist(new JobSubmitted(command.JobId, command.Owner, command.Spec, command.At), e =>
        {
            ApplyAndPublish(e);
            sender.Tell(new Accepted(command.JobId));
        });
    }

    private void OnStart()
    {
        if (_state.IsTerminal || _run is not null || !_state.Exists)
        {
            if (_state.IsTerminal)
            {
                Context.Parent.Tell(new JobSupervisor.JobEnded(_state.JobId!, _state.Status));
            }

            return;
        }

        Persist(new JobStarted(_state.JobId!, DateTimeOffset.UtcNow), e =>
        {
            ApplyAndPublish(e);
            var cancellation = new CancellationTokenSource();
            _run = new Run(cancellation);
            Timers.StartSingleTimer(nameof(TimedOut), new TimedOut(_run.Id), _options.JobTimeout);
            var spec = _state.Spec!;
            var work = new JobWork(spec.StoredPath, spec.Kind, spec.Pages, spec.Dpi, spec.Language, spec.AutoRotate, _pipeline.Options.Preprocess, spec.Engine);
            var runId = _run.Id;
            _log.Info("Job {0}: processing {1} ({2} bytes)", _state.JobId, spec.FileName, spec.FileSize);
            _pipeline.OpenAsync(work, cancellation.Token).PipeTo(Self,
                success: document => new DocumentOpened(runId, document, work),
                failure: error => new StreamFailed(runId, error));
        });
    }

    private void OnDocumentOpened(DocumentOpened opened)
    {
        if (_run is null || _run.Id != opened.RunId)
        {
            opened.Document.Dispose();
            return;
        }

        _run.Document = opened.Document;
        int[] planned;
        try
        {
            planned = PageSelection.Resolve(opened.Work.PageSelection, opened.Document.PageCount).ToArray();
        }
        catch (OcrDocumentException e)
        {
            OnStreamFailed(new StreamFailed(opened.RunId, e));
            return;
        }

        // A resumed job skips the pages it already persisted.
        var todo = planned.Where(page => !_state.Pages.ContainsKey(page)).ToList();
        _log.Info("Job {0}: {1} of {2} page(s) to do", _state.JobId, todo.Count, planned.Length);
        Persist(new PagesPlanned(_state.JobId!, opened.Document.PageCount, planned, DateTimeOffset.UtcNow), e =>
        {
            ApplyAndPublish(e);
            var runId = _run.Id;
            _run.KillSwitch = _pipeline.Pages(opened.Document, todo, opened.Work, _run.Cancellation.Token)
                .ViaMaterialized(KillSwitches.Single<PageResult>(), Keep.Right)
                .To(Sink.ActorRefWithAck<PageResult>(Self, new StreamStarted(runId), StreamAck.Instance, new StreamFinished(runId),
                    error => new StreamFailed(runId, error)))
                .Run(Context.Materializer());
        });
    }

    private void OnPage(PageResult page)
    {
        if (_run is null || _state.IsTerminal)
        {
            return;
        }

        var sender = Sender;
        Persist(new PageCompleted(_state.JobId!, page, DateTimeOffset.UtcNow), e =>
        {
            ApplyAndPublish(e);
            sender.Tell(StreamAck.Instance);
        });
    }

    private void OnStreamFinished(StreamFinished finished)
    {
        if (_run is null || _run.Id != finished.RunId || _state.IsTerminal)
        {
            return;
        }

        var pages = _state.Pages.Values;
        Finish(new JobCompleted(_state.JobId!, _pipeline.ModelUsedFor(pages, _state.Spec!.Language), pages.Any(p => p.GpuUsed), DateTimeOffset.UtcNow));
    }

    private void OnStreamFailed(StreamFailed failed)
    {
        if (_run is null || _run.Id != failed.RunId || _state.IsTerminal)
        {
            return;
        }

        var cause = failed.Error is AggregateException { InnerException: { } inner } ? inner : failed.Error;
        var message = cause switch
        {
            OcrDocumentException or OcrPageException => cause.Message,
            OperationCanceledException => "processing was stopped",
            _ => $"processing failed: {cause.Message}",
        };
        if (cause is not (OcrDocumentException or OcrPageException))
        {
            _log.Error(cause, "Job {0} failed unexpectedly", _state.JobId);
        }

        Finish(new JobFailed(_state.JobId!, message, DateTimeOffset.UtcNow));
    }

    private void OnTimedOut(TimedOut timedOut)
    {
        if (_run is null || _run.Id != timedOut.RunId || _state.IsTerminal)
        {
            return;
        }

        Finish(new JobFailed(_state.JobId!, $"the job timed out after {_options.JobTimeout.TotalSeconds:0} s (OCR_JOB_TIMEOUT)", DateTimeOffset.UtcNow));
    }

    private void OnCancel(CancelJob command)
    {
        var (reply, cancelled) = _state.DecideCancel(command.Requester, DateTimeOffset.UtcNow);
        if (cancelled is null)
        {
            Sender.Tell(reply);
            return;
        }

        var sender = Sender;
        Finish(cancelled, () => sender.Tell(reply));
    }

    /// <summary>Stops the running work at once, then persists the terminal event.</summary>
    private void Finish(IJobEvent terminal, Action? afterPersist = null)
    {
        StopRun();
        Persist(terminal, e =>
        {
            ApplyAndPublish(e);
            _log.Info("Job {0}: {1}{2}", _state.JobId, _state.Status, _state.Error is null ? "" : $" ({_state.Error})");
            SaveSnapshot(_state);
            Context.Parent.Tell(new JobSupervisor.JobEnded(_state.JobId!, _state.Status));
            ScheduleCleanup();
            afterPersist?.Invoke();
        });
    }

    private void StopRun()
    {
        if (_run is null)
        {
            return;
        }

        Timers.Cancel(nameof(TimedOut));
        _run.Cancellation.Cancel();
        _run.KillSwitch?.Shutdown();
        _run.Document?.Dispose();
        _run.Cancellation.Dispose();
        _run = null;
    }

    private void ScheduleCleanup() => Timers.StartSingleTimer(nameof(CleanupDue), CleanupDue.Instance, _options.CleanupDelay);

    private void OnCleanupDue()
    {
        if (_state.FileCleaned || !_state.Exists)
        {
            return;
        }

        try
        {
            File.Delete(_state.Spec!.StoredPath);
        }
        catch (IOException e)
        {
            _log.Warning("Job {0}: could not delete the upload: {1}", _state.JobId, e.Message);
            return;
        }

        Persist(new FileCleaned(_state.JobId!, DateTimeOffset.UtcNow), e =>
        {
            _state = _state.Apply(e);
            Context.Parent.Tell(new JobSupervisor.JobFileCleaned(_state.JobId!));
            PassivateWhenIdle();
        });
    }

    private void ApplyAndPublish(IJobEvent e)
    {
        _state = _state.Apply(e);
        Context.System.EventStream.Publish(_state.ToProgress(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0));
        if (++_eventsSinceSnapshot >= _options.SnapshotEvery)
        {
            _eventsSinceSnapshot = 0;
            SaveSnapshot(_state);
        }
    }

    protected override void PostStop()
    {
        StopRun();
        base.PostStop();
    }

    private sealed class Run(CancellationTokenSource cancellation)
    {
        public Guid Id { get; } = Guid.NewGuid();

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public IDocument? Document { get; set; }

        public UniqueKillSwitch? KillSwitch { get; set; }
    }

    private sealed record DocumentOpened(Guid RunId, IDocument Document, JobWork Work);

    private sealed record StreamStarted(Guid RunId);

    private sealed record StreamFinished(Guid RunId);

    private sealed record StreamFailed(Guid RunId, Exception Error);

    private sealed record TimedOut(Guid RunId);

    private sealed class StreamAck
    {
        public static readonly StreamAck Instance = new();
    }

    private sealed class CleanupDue
    {
        public static readonly CleanupDue Instance = new();
    }
}
