using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Ocr.Actors.Index;
using Ocr.Actors.Jobs;
using Ocr.Host.Configuration;
using Ocr.Host.Health;
using Ocr.Host.Progress;
using Ocr.Pipeline.Streams;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Host.Api;

/// <summary>
/// The operators' endpoints under /api/ocr/admin/ (tokens whose `role` is admin, or whose `roles`
/// holds it): any user's jobs, cancel any job, the queue and slots of every node, this node's
/// engines, the cluster and where jobs live, draining a node.
/// </summary>
public static class AdminApi
{
    public const string Policy = "admin";
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public sealed record Services(
        IRequiredActor<JobRegionKey> Jobs, IRequiredActor<NodeAdmissionKey> Admission, IJobIndex Index, ActorSystem System,
        PagePipeline Pipeline, GpuStatusHolder Gpu, OcrServiceOptions Options, JsonSerializerOptionsHolder Json, JobOptions JobOptions, EngineRates Rates);

    public static void MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/ocr/admin").RequireAuthorization(Policy).WithTags("Operations (admin)")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapGet("/jobs", Jobs).WithName("AdminListJobs").Produces(StatusCodes.Status200OK)
            .WithSummary("Any user's jobs, newest first (?status=&user=&node=&since=ISO-8601&limit=1..500&offset=)");
        admin.MapGet("/jobs/{jobId}", Job).WithName("AdminGetJob").Produces(StatusCodes.Status200OK).WithSummary("Any job's status object, with its owner and where its entity lives");
        admin.MapPost("/jobs/{jobId}/cancel", Cancel).WithName("AdminCancelJob").Produces(StatusCodes.Status200OK).WithSummary("Cancel any pending or processing job");
        admin.MapGet("/queue", Queue).WithName("AdminQueue").Produces(StatusCodes.Status200OK).WithSummary("Every node's slots, queue depth, oldest waiting job and admission order");
        admin.MapGet("/engines", Engines).WithName("AdminEngines").Produces(StatusCodes.Status200OK).WithSummary("This node's engines: pool size, busy, queued, pages read, neural provider, GPU");
        admin.MapGet("/cluster", ClusterView).WithName("AdminCluster").Produces(StatusCodes.Status200OK)
            .WithSummary("Members and their status, leader, unreachable members, shards and job entities per node");
        admin.MapPost("/nodes/{name}/drain", Drain).WithName("AdminDrainNode").Produces(StatusCodes.Status200OK)
            .WithSummary("Stop a node offering job slots (its running jobs finish; waiting jobs go to the other nodes)");
    }

    private static async Task<IResult> Jobs(HttpContext http, [AsParameters] Services services, CancellationToken cancellationToken)
    {
        var q = http.Request.Query;
        var limit = 50;
        var offset = 0;
        DateTimeOffset? since = null;
        if (q["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 500))
        {
            return ErrorResults.Problem(400, "limit must be a whole number from 1 to 500");
        }

        if (q["offset"].ToString() is { Length: > 0 } o && (!int.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            return ErrorResults.Problem(400, "offset must be a whole number from 0");
        }

        if (q["since"].ToString() is { Length: > 0 } s)
        {
            if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return ErrorResults.Problem(400, "since must be an ISO-8601 time, e.g. 2026-12-01T08:00:00Z");
            }

            since = parsed;
        }

        var status = q["status"].ToString() is { Length: > 0 } st ? st.ToLowerInvariant() : null;
        if (status is not null && status is not (JobStatuses.Pending or JobStatuses.Processing or JobStatuses.Completed or JobStatuses.Failed or JobStatuses.Cancelled))
        {
            return ErrorResults.Problem(400, "status must be pending, processing, completed, failed or cancelled");
        }

        var query = new JobQuery(status, NullIfEmpty(q["user"]), NullIfEmpty(q["node"]), since, limit, offset);
        var jobs = await services.Index.QueryAsync(query, cancellationToken);
        return TypedResults.Json(new { jobs = jobs.Select(j => WithOwner(j, services.Json.Options)).ToList(), count = jobs.Count, limit, offset });
    }

    private static async Task<IResult> Job(string jobId, ClaimsPrincipal user, [AsParameters] Services services, CancellationToken cancellationToken)
    {
        var reply = await services.Jobs.ActorRef.Ask<IJobReply>(new JobCommands.GetStatus(new JobId(jobId), OcrApi.UserOf(user), AsAdmin: true), AskTimeout, cancellationToken);
        if (reply is not JobReplies.Status status)
        {
            return OcrApi.ToResult(reply);
        }

        var view = WithOwner(status.View, services.Json.Options);
        view["entity_node"] = await EntityNodeAsync(services, new JobId(jobId));
        return TypedResults.Json(view);
    }

    private static async Task<IResult> Cancel(string jobId, ClaimsPrincipal user, [AsParameters] Services services, CancellationToken cancellationToken) =>
        OcrApi.ToResult(await services.Jobs.ActorRef.Ask<IJobReply>(new JobCommands.CancelJob(new JobId(jobId), OcrApi.UserOf(user), AsAdmin: true), AskTimeout, cancellationToken));

    private static async Task<IResult> Queue([AsParameters] Services services)
    {
        var cluster = Cluster.Get(services.System);
        var nodes = await Task.WhenAll(cluster.State.Members.Where(m => m.Status == MemberStatus.Up).Select(async member =>
        {
            try
            {
                var admission = await AdmissionOfAsync(services, member);
                var state = await admission.Ask<NodeAdmission.AdmissionState>(NodeAdmission.GetAdmission.Instance, AskTimeout);
                return (object)new
                {
                    node = state.Node,
                    address = member.Address.ToString(),
                    running = state.Running,
                    queued = state.Queued,
                    max_concurrent_jobs = state.MaxConcurrentJobs,
                    max_queued_jobs = state.MaxQueuedJobs,
                    oldest_waiting_since = state.OldestWaiting,
                    draining = state.Draining,
                    running_jobs = state.RunningJobs,
                    admission_order = state.WaitingInOrder,
                };
            }
            catch (Exception e) when (e is AskTimeoutException or ActorNotFoundException)
            {
                return new { node = NodeNames.NameOf(member), address = member.Address.ToString(), error = "its admission did not answer within 5 s" };
            }
        }));
        return TypedResults.Json(new { nodes });
    }

    private static IResult Engines([AsParameters] Services services)
    {
        var pool = services.Pipeline.Pool;
        var neural = services.Pipeline.Neural;
        var gpu = services.Gpu.Status;
        var rates = services.Rates.Current();
        return TypedResults.Json(new
        {
            node = services.Options.EffectiveNodeName,
            tesseract = new
            {
                size = pool.Size, busy = pool.Busy, queued = pool.Queued, pages_recognized = pool.PagesRecognized, model = pool.ModelName, ready = pool.IsReady,
                pages_per_second_1m = rates.TesseractLastMinute, pages_per_second_5m = rates.TesseractLastFiveMinutes,
            },
            neural = neural is null ? null : new
            {
                model = neural.ModelName,
                provider = neural.Provider.Provider,
                on_gpu = neural.Provider.OnGpu,
                workers = neural.Workers,
                busy = neural.Busy,
                pages_recognized = neural.PagesRecognized,
                pages_per_second_1m = rates.NeuralLastMinute,
                pages_per_second_5m = rates.NeuralLastFiveMinutes,
            },
            gpu = new { detected = gpu?.Detected ?? false, name = gpu?.Name, total_memory_gb = gpu?.TotalMemoryGb, free_memory_gb = gpu?.FreeMemoryGb },
            default_engine = services.Pipeline.AutoEngine,
        });
    }

    private static async Task<IResult> ClusterView([AsParameters] Services services)
    {
        var cluster = Cluster.Get(services.System);
        var state = cluster.State;
        object? shards;
        try
        {
            var stats = await services.Jobs.ActorRef.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), AskTimeout);
            shards = stats.Regions.Select(r => new
            {
                node = NodeNames.NameAt(state, r.Key),
                address = r.Key.ToString(),
                shards = r.Value.Stats.Count,
                entities = r.Value.Stats.Values.Sum(),
            }).ToList();
        }
        catch (AskTimeoutException)
        {
            shards = "the shard regions did not answer within 5 s";
        }

        return TypedResults.Json(new
        {
            self = NodeNames.NameOf(cluster.SelfMember),
            leader = state.Leader?.ToString(),
            members = state.Members.Select(m => new
            {
                name = NodeNames.NameOf(m),
                address = m.Address.ToString(),
                status = m.Status.ToString(),
                reachable = !state.Unreachable.Contains(m),
                roles = NodeNames.PlainRoles(m).ToList(),
            }).ToList(),
            unreachable = state.Unreachable.Select(NodeNames.NameOf).ToList(),
            shard_regions = shards,
        });
    }

    private static async Task<IResult> Drain(string name, [AsParameters] Services services)
    {
        var cluster = Cluster.Get(services.System);
        var member = cluster.State.Members.FirstOrDefault(m => NodeNames.NameOf(m) == name || m.Address.ToString() == name);
        if (member is null)
        {
            return ErrorResults.Problem(404, $"no member named {name}; members: {string.Join(", ", cluster.State.Members.Select(NodeNames.NameOf))}");
        }

        var admission = await AdmissionOfAsync(services, member);
        var state = await admission.Ask<NodeAdmission.AdmissionState>(NodeAdmission.Drain.Instance, AskTimeout);
        return TypedResults.Json(new { node = state.Node, draining = state.Draining, running = state.Running });
    }

    /// <summary>The admission of a member: this node's by reference, another's resolved by its path.</summary>
    private static async Task<IActorRef> AdmissionOfAsync(Services services, Member member) =>
        member.Address.Equals(Cluster.Get(services.System).SelfAddress)
            ? services.Admission.ActorRef
            : await services.System.ActorSelection(NodeAdmission.PathOn(member.Address)).ResolveOne(AskTimeout);

    /// <summary>The node whose shard region hosts the job's shard (null when none has started it).</summary>
    private static async Task<string?> EntityNodeAsync(Services services, JobId jobId)
    {
        var shard = new JobMessageExtractor(services.JobOptions.Shards).ShardId(jobId.Value);
        try
        {
            var stats = await services.Jobs.ActorRef.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), AskTimeout);
            var region = stats.Regions.FirstOrDefault(r => shard is not null && r.Value.Stats.ContainsKey(shard));
            return region.Key is null ? null : NodeNames.NameAt(Cluster.Get(services.System).State, region.Key);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static JsonObject WithOwner(JobStatusView view, JsonSerializerOptions json)
    {
        var node = JsonSerializer.SerializeToNode(view, json)!.AsObject();
        node["user_id"] = view.Owner;
        return node;
    }

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.ToString() is { Length: > 0 } s ? s : null;
}
