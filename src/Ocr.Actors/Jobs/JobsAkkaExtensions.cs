using Akka.Actor;
using Akka.Event;
using Microsoft.Extensions.Logging;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Ocr.Actors.Index;
using Ocr.Actors.Membership;
using Ocr.Actors.Persistence;
using Ocr.Actors.Serialization;
using Ocr.Pipeline.Streams;

namespace Ocr.Actors.Jobs;

/// <summary>Registry key of the job entities' shard region.</summary>
public sealed class JobRegionKey;

/// <summary>Registry key of this node's admission (job slots).</summary>
public sealed class NodeAdmissionKey;

/// <summary>Registry key of this node's housekeeper.</summary>
public sealed class JobHousekeeperKey;

public static class JobsAkkaExtensions
{
    public const string JobTypeName = "ocr-job";

    /// <summary>The embedded journal and snapshot store (SQLite file under <paramref name="dataDirectory"/>).</summary>
    public static AkkaConfigurationBuilder AddSqliteJournal(this AkkaConfigurationBuilder akka, string dataDirectory)
    {
        JournalSettings.UseWriteAheadLog(dataDirectory);
        return akka.AddHocon(JournalSettings.SqliteHocon(JournalSettings.SqliteConnectionString(dataDirectory)), HoconAddMode.Prepend);
    }

    public static AkkaConfigurationBuilder AddOcrSerializer(this AkkaConfigurationBuilder akka) =>
        akka.AddHocon(OcrSerializer.BindingConfig, HoconAddMode.Prepend);

    /// <summary>
    /// The embedded mode's cluster: one node, remoting on 127.0.0.1 at a free port, which joins
    /// itself (so the embedded and the clustered service run the same sharded code).
    /// </summary>
    public static AkkaConfigurationBuilder AddSingleNodeCluster(this AkkaConfigurationBuilder akka, string nodeName = "local") =>
        akka.WithRemoting("127.0.0.1", 0)
            .WithClustering(new ClusterOptions { Roles = ["ocr"], SeedNodes = [] })
            .AddHocon(NodeNames.RolesHocon(nodeName), HoconAddMode.Prepend)
            .WithDistributedPubSub("ocr")
            .AddHocon("akka.cluster.singleton-proxy.log-singleton-identification-failure = off", HoconAddMode.Prepend)
            .AddStartup((system, _) =>
            {
                var cluster = Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });

    /// <summary>
    /// The cluster of cluster mode: remoting on <see cref="ClusterNodeOptions.Port"/> (all interfaces,
    /// advertised as <see cref="ClusterNodeOptions.Host"/>), the Redis journal and snapshot store,
    /// Redis-arbitrated downing, and a join that prefers the nodes whose heartbeats Redis holds.
    /// </summary>
    public static AkkaConfigurationBuilder AddRedisCluster(this AkkaConfigurationBuilder akka, ClusterNodeOptions node)
    {
        static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        return akka.WithRemoting(new RemoteOptions { HostName = "0.0.0.0", PublicHostName = node.Host, Port = node.Port })
            .WithClustering(new ClusterOptions { Roles = ["ocr"], SeedNodes = [] })
            .AddHocon(NodeNames.RolesHocon(node.Name), HoconAddMode.Prepend)
            .WithDistributedPubSub("ocr")
            .AddHocon(JournalSettings.RedisHocon(node.RedisConfiguration, node.RedisDatabase, node.RedisPrefix), HoconAddMode.Prepend)
            .AddHocon($$"""
                akka.cluster {
                  downing-provider-class = "{{typeof(RedisArbitratedDowning).AssemblyQualifiedName}}"
                  redis-downing {
                    connection-string = {{Quote(node.RedisConfiguration)}}
                    database = {{node.RedisDatabase}}
                    key-prefix = {{Quote(node.RedisPrefix)}}
                    stable-after = 2s
                    heartbeat-interval = 1s
                    heartbeat-timeout = 4s
                  }
                  # A node killed outright is suspected after about 3 s of silence.
                  failure-detector {
                    heartbeat-interval = 1s
                    acceptable-heartbeat-pause = 3s
                  }
                  singleton-proxy.log-singleton-identification-failure = off
                }
                """, HoconAddMode.Prepend)
            .AddHocon(Akka.Streams.ActorMaterializer.DefaultConfig(), HoconAddMode.Append)
            .AddStartup((system, _) => JoinCluster(system, node));
    }

    private static void JoinCluster(ActorSystem system, ClusterNodeOptions node)
    {
        var cluster = Cluster.Get(system);
        var self = cluster.SelfAddress;
        Address Seed(string hostPort)
        {
            var colon = hostPort.LastIndexOf(':');
            return new Address(self.Protocol, system.Name, hostPort[..colon], int.Parse(hostPort[(colon + 1)..]));
        }

        var configured = node.Seeds.Select(Seed).ToList();
        List<Address> live = [];
        try
        {
            var registry = new NodeRegistry(RedisConnection.Get(node.RedisConfiguration), node.RedisDatabase, node.RedisPrefix);
            var found = registry.LiveAsync(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(10));
            live = found.Wait(TimeSpan.FromSeconds(5)) ? [.. found.Result.Select(Address.Parse).Where(a => !a.Equals(self))] : [];
        }
        catch (Exception e)
        {
            system.Log.Warning("Could not read the cluster's members from Redis ({0}); joining the configured seeds", e.Message);
        }

        // Nodes alive in Redis first: a restarted seed must rejoin them, not found a cluster of its own.
        // With none alive, this node may start the cluster if the seeds are empty or name it (it must then come first).
        List<Address> seeds = live.Count > 0
            ? [.. live, .. configured.Where(a => !a.Equals(self) && !live.Contains(a))]
            : configured.Count == 0 || configured.Contains(self)
                ? [self, .. configured.Where(a => !a.Equals(self))]
                : configured;
        system.Log.Info("Joining the cluster through {0}", string.Join(", ", seeds));
        cluster.JoinSeedNodes(seeds);
    }

    /// <summary>Job entities sharded by job id, the node's admission, and the housekeeper over the job index.</summary>
    public static AkkaConfigurationBuilder AddJobEntities(this AkkaConfigurationBuilder akka, JobOptions options, string nodeName) =>
        akka.WithActors((system, registry, resolver) =>
                {
                var logs = resolver.GetService<Microsoft.Extensions.Logging.ILoggerFactory>();
                var admission = system.ActorOf(NodeAdmission.Props(options, resolver.GetService<PagePipeline>(), nodeName, logs?.CreateLogger<NodeAdmission>()), NodeAdmission.ActorName);
                registry.Register<NodeAdmissionKey>(admission);
                // Leaving (SIGTERM): offer no more slots and stop the running work before the shards hand off, so the jobs
                // carry on elsewhere from their last page (left running, the work would go on until the node is gone).
                CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "drain-job-slots",
                    async () =>
                    {
                        await admission.Ask<NodeAdmission.AdmissionState>(NodeAdmission.Drain.Leaving, TimeSpan.FromSeconds(3));
                        return Akka.Done.Instance;
                    });
            })
            .WithShardRegion<JobRegionKey>(JobTypeName, (system, registry, resolver) =>
                {
                    var pipeline = resolver.GetService<PagePipeline>();
                    var index = resolver.GetService<IJobIndex>();
                    var admission = registry.Get<NodeAdmissionKey>();
                    var log = resolver.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()?.CreateLogger<JobEntity>();
                    return entityId => JobEntity.Props(entityId, pipeline, options, admission, index, log);
                },
                new JobMessageExtractor(options.Shards),
                new ShardOptions
                {
                    Role = "ocr",
                    StateStoreMode = StateStoreMode.DData,
                    RememberEntities = false,
                    // Entities passivate themselves (through their shard) once finished and idle:
                    // a running job must never be stopped for being quiet during a long page.
                    ShouldPassivateIdleEntities = false,
                })
            .WithActors((system, registry, resolver) =>
            {
                registry.Register<JobHousekeeperKey>(system.ActorOf(JobHousekeeper.Props(registry.Get<JobRegionKey>(), resolver.GetService<IJobIndex>(), options, resolver.GetService<PagePipeline>().Options), "housekeeper"));
                system.ActorOf(Metrics.RegionSampler.Props(registry.Get<JobRegionKey>()), "region-sampler");
                Metrics.OcrMetrics.ObserveCluster(system);
            });
}

/// <summary>Job commands go to the entity named by their job id; shards by a stable hash of it.</summary>
public sealed class JobMessageExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => message is IJobCommand command ? command.JobId.Value : null;
}

/// <summary>How this node takes part in a cluster (cluster mode).</summary>
public sealed record ClusterNodeOptions(string Name, string Host, int Port, IReadOnlyList<string> Seeds, string RedisConfiguration, int RedisDatabase, string RedisPrefix);

/// <summary>A node's name (OCR_NODE_NAME) travels as a member role, so every node can name every member.</summary>
public static class NodeNames
{
    private const string Prefix = "node-name:";

    public static string Role(string name) => Prefix + name;

    /// <summary>The member roles, quoted (a name such as host:port is not a bare HOCON string).</summary>
    public static string RolesHocon(string name) =>
        $"akka.cluster.roles = [\"ocr\", \"{Role(name).Replace("\\", "\\\\").Replace("\"", "\\\"")}\"]";

    public static string NameOf(Member member) =>
        member.Roles.FirstOrDefault(r => r.StartsWith(Prefix, StringComparison.Ordinal))?[Prefix.Length..] ?? $"{member.Address.Host}:{member.Address.Port}";

    /// <summary>The name of the member at <paramref name="address"/>, or the address when it is no member (any more).</summary>
    public static string NameAt(ClusterEvent.CurrentClusterState state, Address address) =>
        state.Members.FirstOrDefault(m => m.Address.Equals(address)) is { } member ? NameOf(member) : address.ToString();

    public static IEnumerable<string> PlainRoles(Member member) => member.Roles.Where(r => !r.StartsWith(Prefix, StringComparison.Ordinal));
}
