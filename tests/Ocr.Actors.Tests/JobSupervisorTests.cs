using Akka.Actor;
using Akka.Configuration;
using Ocr.Actors.Jobs;
using Ocr.Actors.Persistence;
using Ocr.Actors.Serialization;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Streams;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Actors.Tests;

/// <summary>The supervisor and job actors on the real SQLite journal, across actor-system restarts.</summary>
public sealed class JobSupervisorTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "akkaocr-actors-" + Guid.NewGuid().ToString("N"));
    private readonly TesseractPool _pool = new(new PipelineOptions { EngineCount = 1 });
    private static readonly UserId Alice = new("alice");

    public JobSupervisorTests() => Directory.CreateDirectory(_data);

    private (ActorSystem System, IActorRef Supervisor) Start(JobOptions? options = null)
    {
        var config = JournalSettings.SqliteHocon(JournalSettings.SqliteConnectionString(_data))
            .WithFallback(OcrSerializer.BindingConfig)
            .WithFallback(ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var system = ActorSystem.Create("jobs-" + Guid.NewGuid().ToString("N")[..8], config);
        var supervisor = system.ActorOf(JobSupervisor.Props(new PagePipeline(_pool, new PipelineOptions()), options ?? new JobOptions()), "jobs");
        return (system, supervisor);
    }

    private JobSpec TextSpec(string text)
    {
        var path = Path.Combine(_data, Guid.NewGuid().ToString("N") + ".upload");
        File.WriteAllText(path, text);
        return new JobSpec("n.txt", text.Length, path, DocumentKind.Text, "tesseract", "eng", null, null, true);
    }

    private static async Task<JobStatusView> WaitTerminal(IActorRef supervisor, JobId id)
    {
        for (var i = 0; i < 200; i++)
        {
            var reply = await supervisor.Ask<IJobReply>(new JobCommands.GetStatus(id, Alice), TimeSpan.FromSeconds(5));
            if (reply is JobReplies.Status { View: var view } && JobStatuses.IsTerminal(view.Status))
            {
                return view;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"job {id} did not finish");
    }

    [Fact]
    public async Task A_completed_job_and_a_users_history_survive_an_actor_system_restart()
    {
        var id = JobId.New();
        var (first, supervisor) = Start();
        (await supervisor.Ask<IJobReply>(new JobCommands.SubmitJob(id, Alice, TextSpec("persisted text"), DateTimeOffset.UtcNow), TimeSpan.FromSeconds(10)))
            .ShouldBeOfType<Accepted>();
        (await WaitTerminal(supervisor, id)).Status.ShouldBe(JobStatuses.Completed);
        await first.Terminate();

        var (second, again) = Start();
        try
        {
            var result = await again.Ask<IJobReply>(new JobCommands.GetResult(id, Alice), TimeSpan.FromSeconds(10));
            result.ShouldBeOfType<Result>().View.ExtractedText.ShouldBe("persisted text");
            var history = await again.Ask<JobSupervisor.JobList>(new JobSupervisor.ListJobs(Alice, 10), TimeSpan.FromSeconds(10));
            history.Jobs.Select(j => j.JobId).ShouldBe([id.Value]);
            (await again.Ask<IJobReply>(new JobCommands.GetStatus(id, new UserId("bob")), TimeSpan.FromSeconds(5))).ShouldBeOfType<Forbidden>();
        }
        finally
        {
            await second.Terminate();
        }
    }

    [Fact]
    public async Task A_finished_job_whose_actor_was_passivated_still_answers_from_its_journal()
    {
        var options = new JobOptions { CleanupDelay = TimeSpan.Zero, IdleBeforePassivation = TimeSpan.FromMilliseconds(200) };
        var (system, supervisor) = Start(options);
        try
        {
            var id = JobId.New();
            await supervisor.Ask<IJobReply>(new JobCommands.SubmitJob(id, Alice, TextSpec("still here"), DateTimeOffset.UtcNow), TimeSpan.FromSeconds(10));
            await WaitTerminal(supervisor, id);
            var child = await system.ActorSelection($"/user/jobs/{id}").ResolveOne(TimeSpan.FromSeconds(5));
            var watcher = system.ActorOf(Props.Create(() => new DeathWatcher(child)));
            (await watcher.Ask<string>("stopped?", TimeSpan.FromSeconds(10))).ShouldBe("stopped");

            var result = await supervisor.Ask<IJobReply>(new JobCommands.GetResult(id, Alice), TimeSpan.FromSeconds(10));

            result.ShouldBeOfType<Result>().View.ExtractedText.ShouldBe("still here");
        }
        finally
        {
            await system.Terminate();
        }
    }

    private sealed class DeathWatcher : ReceiveActor
    {
        private IActorRef? _asker;
        private bool _stopped;

        public DeathWatcher(IActorRef target)
        {
            Context.Watch(target);
            Receive<Terminated>(_ =>
            {
                _stopped = true;
                _asker?.Tell("stopped");
            });
            Receive<string>(_ =>
            {
                _asker = Sender;
                if (_stopped)
                {
                    Sender.Tell("stopped");
                }
            });
        }
    }

    [Fact]
    public async Task A_full_queue_answers_QueueFull_and_persists_nothing()
    {
        var (system, supervisor) = Start(new JobOptions { MaxQueuedJobs = 0 });
        try
        {
            var reply = await supervisor.Ask<IJobReply>(new JobCommands.SubmitJob(JobId.New(), Alice, TextSpec("x"), DateTimeOffset.UtcNow), TimeSpan.FromSeconds(10));

            reply.ShouldBeOfType<QueueFull>().RetryAfterSeconds.ShouldBeGreaterThan(0);
            (await supervisor.Ask<JobSupervisor.JobList>(new JobSupervisor.ListJobs(Alice, 10), TimeSpan.FromSeconds(10))).Jobs.ShouldBeEmpty();
        }
        finally
        {
            await system.Terminate();
        }
    }

    public void Dispose()
    {
        _pool.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
