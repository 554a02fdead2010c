using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Data.Sqlite;
using Ocr.Actors.Jobs;
using Ocr.Actors.Persistence;
using Ocr.Host.Configuration;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Neural;
using Ocr.Pipeline.Streams;

namespace Ocr.Host.Health;

/// <summary>Health (no auth), queue statistics and system information.</summary>
public static class HealthApi
{
    private static readonly DateTimeOffset StartedAt = DateTimeOffset.UtcNow;

    public sealed record Services(
        IRequiredActor<JobSupervisorKey> Supervisor, PagePipeline Pipeline, GpuStatusHolder Gpu, OcrServiceOptions Options, ActorSystem System);

    public static void MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/ocr/health", Health).AllowAnonymous().WithTags("Operations").WithSummary("Health of the journal, supervisor, engines and GPU detection");
        var secured = app.MapGroup("/api/ocr").RequireAuthorization().WithTags("Operations");
        secured.MapGet("/stats", Stats).WithSummary("Queue statistics");
        secured.MapGet("/system", SystemInfo).WithSummary("GPU status, engines, models and node information");
    }

    private static async Task<IResult> Health([AsParameters] Services services, CancellationToken cancellationToken)
    {
        var checks = new Dictionary<string, object>();
        var healthy = true;

        void Check(string name, bool ok, string detail)
        {
            healthy &= ok;
            checks[name] = new { status = ok ? "ok" : "failing", detail };
        }

        try
        {
            var pong = await services.Supervisor.ActorRef.Ask<JobSupervisor.Pong>(JobSupervisor.Ping.Instance, TimeSpan.FromSeconds(3), cancellationToken);
            Check("supervisor", true, $"{pong.Running} running, {pong.Queued} queued");
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            Check("supervisor", false, "the job supervisor did not answer within 3 s (journal still recovering?)");
        }

        Check("journal", await JournalReachable(services.Options), "sqlite " + Path.Combine(services.Options.DataDir, "journal.db"));
        var pool = services.Pipeline.Pool;
        Check("engine", pool.IsReady, pool.IsReady ? $"{pool.Size} x {pool.ModelName} loaded" : "engines still loading");
        var gpu = services.Gpu.Status;
        Check("gpu_detection", gpu is not null, gpu is null ? "not run yet" : gpu.Reason);

        var body = new { status = healthy ? "healthy" : "unhealthy", checks, timestamp = DateTimeOffset.UtcNow };
        return TypedResults.Json(body, statusCode: healthy ? 200 : 503);
    }

    private static async Task<bool> JournalReachable(OcrServiceOptions options)
    {
        try
        {
            await using var connection = new SqliteConnection(JournalSettings.SqliteConnectionString(options.DataDir));
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            return Convert.ToInt32(await command.ExecuteScalarAsync()) == 1;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    private static async Task<IResult> Stats([AsParameters] Services services, CancellationToken cancellationToken)
    {
        var stats = await services.Supervisor.ActorRef.Ask<JobSupervisor.JobStats>(JobSupervisor.GetStats.Instance, TimeSpan.FromSeconds(5), cancellationToken);
        return TypedResults.Json(new
        {
            queue_size = stats.Pending,
            pending_jobs = stats.Pending,
            processing_jobs = stats.Processing,
            completed_jobs = stats.Completed,
            failed_jobs = stats.Failed,
            cancelled_jobs = stats.Cancelled,
            total_jobs = stats.TotalJobs,
            max_concurrent_jobs = stats.MaxConcurrentJobs,
            max_queued_jobs = stats.MaxQueuedJobs,
            engines = stats.Engines,
            engines_busy = stats.EnginesBusy,
            pages_queued = stats.PagesQueued,
            pages_recognized = stats.PagesRecognized,
        });
    }

    private static IResult SystemInfo([AsParameters] Services services)
    {
        var neural = services.Pipeline.Neural;
        var gpu = services.Gpu.Status;
        var process = Process.GetCurrentProcess();
        return TypedResults.Json(new
        {
            gpu_status = new
            {
                gpu_available = gpu?.Detected ?? false,
                gpu_name = gpu?.Name,
                total_memory_gb = gpu?.TotalMemoryGb,
                free_memory_gb = gpu?.FreeMemoryGb,
                driver = gpu?.Driver,
                threshold_gb = services.Options.GpuThreshold,
                passes_threshold = gpu?.PassesThreshold ?? false,
                detection_method = gpu?.Method,
                reason = gpu?.Reason,
                checked_at = gpu?.CheckedAt,
            },
            device = neural?.Provider.OnGpu == true ? "cuda" : "cpu",
            execution_provider = neural?.Provider.Provider,
            execution_provider_reason = neural?.Provider.Reason,
            onnxruntime_providers = ExecutionProvider.Available(),
            engines = new object?[]
            {
                new
                {
                    name = "tesseract",
                    version = TesseractEngine.Version,
                    model = services.Pipeline.Pool.ModelName,
                    loaded = services.Pipeline.Pool.IsReady,
                    instances = services.Pipeline.Pool.Size,
                    languages = Api.LanguageCatalog.Installed(),
                },
                neural is null ? null : new
                {
                    name = "neural",
                    model = neural.ModelName,
                    model_set = neural.Models.Name,
                    model_folder = neural.Models.Folder,
                    execution_provider = neural.Provider.Provider,
                    workers = neural.Workers,
                    busy = neural.Busy,
                    pages_recognized = neural.PagesRecognized,
                    recognition_batches = neural.BatchesRun,
                    crops_recognized = neural.CropsRecognized,
                },
            },
            default_engine = services.Pipeline.AutoEngine,
            escalate_below = services.Pipeline.Options.EscalateBelow,
            models = new { cpu = services.Options.ModelCpu, gpu = services.Options.ModelGpu },
            node = new
            {
                host = Environment.MachineName,
                pid = Environment.ProcessId,
                address = services.System.Name,
                mode = string.IsNullOrEmpty(services.Options.RedisUrl) ? "embedded" : "cluster",
                cores = Environment.ProcessorCount,
                started_at = StartedAt,
                uptime_seconds = Math.Round((DateTimeOffset.UtcNow - StartedAt).TotalSeconds),
                working_set_mb = process.WorkingSet64 / (1024 * 1024),
            },
        });
    }
}

/// <summary>The result of GPU detection, run once at start-up.</summary>
public sealed class GpuStatusHolder
{
    public GpuStatus? Status { get; set; }

    public ExecutionChoice? Provider { get; set; }
}
