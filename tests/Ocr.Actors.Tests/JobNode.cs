using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ocr.Actors.Index;
using Ocr.Actors.Jobs;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Streams;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Actors.Tests;

/// <summary>
/// A one-node service without HTTP: the same Akka wiring as the host (SQLite journal, one-node
/// cluster, sharded job entities, admission, housekeeper, job index) on a data directory that
/// outlives the node, so a test can stop it and start another on the same files.
/// </summary>
public sealed class JobNode : IAsyncDisposable
{
    private readonly IHost _host;

    private JobNode(IHost host)
    {
        _host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
        Index = host.Services.GetRequiredService<IJobIndex>();
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        Jobs = registry.Get<JobRegionKey>();
        Admission = registry.Get<NodeAdmissionKey>();
    }

    public ActorSystem System { get; }

    public IActorRef Jobs { get; }

    public IActorRef Admission { get; }

    public IJobIndex Index { get; }

    public static async Task<JobNode> StartAsync(string dataDirectory, TesseractPool pool, JobOptions? options = null)
    {
        var jobOptions = options ?? new JobOptions();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
        builder.Services.AddSingleton(new PagePipeline(pool, new PipelineOptions { EngineCount = 1 }));
        builder.Services.AddSingleton<IJobIndex>(_ => new SqliteJobIndex(dataDirectory));
        builder.Services.AddAkka("jobs-" + Guid.NewGuid().ToString("N")[..8], (akka, _) => akka
            .AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend)
            .AddSqliteJournal(dataDirectory)
            .AddOcrSerializer()
            .AddSingleNodeCluster()
            .AddJobEntities(jobOptions, "test-node"));
        var host = builder.Build();
        await host.StartAsync();
        return new JobNode(host);
    }

    public Task<IJobReply> Ask(IJobCommand command) => Jobs.Ask<IJobReply>(command, TimeSpan.FromSeconds(20));

    /// <summary>Reserves a place and submits, as the host's submit endpoint does.</summary>
    public async Task<IJobReply> SubmitAsync(JobId id, UserId owner, JobSpec spec)
    {
        var reserved = await Admission.Ask<IJobReply>(new NodeAdmission.Reserve(id), TimeSpan.FromSeconds(10));
        return reserved is NodeAdmission.Reserved ? await Ask(new JobCommands.SubmitJob(id, owner, spec, DateTimeOffset.UtcNow)) : reserved;
    }

    public async Task<JobStatusView> WaitForAsync(JobId id, UserId owner, Func<JobStatusView, bool> condition, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var reply = await Ask(new JobCommands.GetStatus(id, owner));
            if (reply is JobReplies.Status { View: var view } && condition(view))
            {
                return view;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"job {id}: condition not met; last reply {reply}");
            }

            await Task.Delay(50);
        }
    }

    public Task<JobStatusView> WaitTerminalAsync(JobId id, UserId owner, int seconds = 60) =>
        WaitForAsync(id, owner, v => JobStatuses.IsTerminal(v.Status), seconds);

    public static JobSpec TextSpec(string dataDirectory, string text)
    {
        var uploads = Path.Combine(dataDirectory, "uploads");
        Directory.CreateDirectory(uploads);
        var path = Path.Combine(uploads, Guid.NewGuid().ToString("N") + ".upload");
        File.WriteAllText(path, text);
        return new JobSpec("note.txt", text.Length, path, DocumentKind.Text, "tesseract", "eng", null, null, true);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
