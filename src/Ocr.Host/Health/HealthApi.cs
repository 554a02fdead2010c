using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Data.Sqlite;
using Akka.Cluster;
using Ocr.Actors.Index;
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
        IRequiredActor<NodeAdmissionKey> Admission, IJobIndex Index, PagePipeline Pipeline, GpuStatusHolder Gpu, OcrServiceOptions Options, ActorSystem System, RedisMonitor Redis);

    public static void MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/ocr/health", Health).AllowAnonymous().WithTags("Operations").WithName("GetHealth")
            .WithSummary("Health of the cluster, jobs, journal or Redis, engines and GPU detection (503 when unhealthy)")
            .Produces(StatusCodes.Status200OK).Produces(StatusCodes.Status503ServiceUnavailable);
        var secured = app.MapGroup("/api/ocr").RequireAuthorization().WithTags("Operations");
        secured.MapGet("/stats", Stats).WithName("GetStats").WithSummary("Queue statistics").Produces(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status401Unauthorized);
        secured.MapGet("/system", SystemInfo).WithName("GetSystem").WithSummary("GPU status, engines, models, mode and cluster members")
            .Produces(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status401Unauthorized);
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

        var cluster = Cluster.Get(services.System);
        var self = cluster.SelfMember;
        var state = cluster.State;
        var up = state.Members.Count(m => m.Status == MemberStatus.Up);
        Check("cluster", self.Status == MemberStatus.Up,
            $"this node ({NodeNames.NameOf(self)}, {self.Address}) is {self.Status.ToString().ToLowerInvariant()}; {up} member(s) up, {state.Unreachable.Count} unreachable, leader {state.Leader?.ToString() ?? "none"}");
        try
        {
            var admission = await services.Admission.ActorRef.Ask<NodeAdmission.AdmissionState>(NodeAdmission.GetAdmission.Instance, TimeSpan.FromSeconds(3), cancellationToken);
            Check("jobs", true, $"{admission.Running} running, {admission.Queued} queued on this node");
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            Check("jobs", false, "this node's job admission did not answer within 3 s");
        }

        if (services.Redis.Enabled)
        {
            var redis = services.Redis;
            Check("redis", redis.Available, redis.Available
                ? $"{redis.Endpoint} answers in {redis.LastLatency?.TotalMilliseconds:0.0} ms (journal, snapshots, job index)"
                : $"{redis.Endpoint} is unreachable: {redis.LastError}");
        }
        else
        {
            Check("journal", await JournalReachable(services.Options), "sqlite " + Path.Combine(services.Options.DataDir, "journal.db"));
        }

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
        // Counts of every job held (from the job index, so they survive restarts); queue and slots of this node.
        var counts = await services.Index.CountsAsync(cancellationToken);
        var admission = await services.Admission.ActorRef.Ask<NodeAdmission.AdmissionState>(NodeAdmission.GetAdmission.Instance, TimeSpan.FromSeconds(5), cancellationToken);
        var pool = services.Pipeline.Pool;
        return TypedResults.Json(new
        {
            queue_size = admission.Queued,
            pending_jobs = counts.Pending,
            processing_jobs = counts.Processing,
            completed_jobs = counts.Completed,
            failed_jobs = counts.Failed,
            cancelled_jobs = counts.Cancelled,
            total_jobs = counts.Total,
            running_on_node = admission.Running,
            queued_on_node = admission.Queued,
            oldest_waiting_since = admission.OldestWaiting,
            max_concurrent_jobs = admission.MaxConcurrentJobs,
            max_queued_jobs = admission.MaxQueuedJobs,
            engines = pool.Size,
            engines_busy = pool.Busy,
            pages_queued = pool.Queued,
            pages_recognized = pool.PagesRecognized,
        });
    }

    private static IResult SystemInfo([AsParameters] Services services)
    {
        var neural = services.Pipeline.Neural;
        var gpu = services.Gpu.Status;
        var process = Process.GetCurrentProcess();
        var cluster = Cluster.Get(services.System);
        var state = cluster.State;
        return TypedResults.Json(new
        {
            mode = services.Options.ClusterMode ? "cluster" : "embedded",
            cluster = new
            {
                self = NodeNames.NameOf(cluster.SelfMember),
                self_address = cluster.SelfAddress.ToString(),
                leader = state.Leader is { } leader ? NodeNames.NameAt(state, leader) : null,
                leader_address = state.Leader?.ToString(),
                members = state.Members.Select(m => new
                {
                    address = m.Address.ToString(),
                    name = NodeNames.NameOf(m),
                    status = m.Status.ToString(),
                    reachable = !state.Unreachable.Contains(m),
                    roles = NodeNames.PlainRoles(m).ToList(),
                }).ToList(),
                unreachable = state.Unreachable.Select(m => NodeNames.NameOf(m)).ToList(),
            },
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
            malloc_huge_pages = MallocHugePages.State,
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
                name = services.Options.EffectiveNodeName,
                address = Cluster.Get(services.System).SelfAddress.ToString(),
                mode = services.Options.ClusterMode ? "cluster" : "embedded",
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
