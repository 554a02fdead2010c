using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Ocr.Actors.Index;
using Ocr.Actors.Persistence;
using Ocr.Actors.Serialization;
using Ocr.Pipeline.Streams;

namespace Ocr.Actors.Jobs;

/// <summary>Registry key of the job entities' shard region.</summary>
public sealed class JobRegionKey;

/// <summary>Registry key of this node's admission (job slots).</summary>
public sealed class NodeAdmissionKey;

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
    public static AkkaConfigurationBuilder AddSingleNodeCluster(this AkkaConfigurationBuilder akka) =>
        akka.WithRemoting("127.0.0.1", 0)
            .WithClustering(new ClusterOptions { Roles = ["ocr"], SeedNodes = [] })
            .AddHocon("akka.cluster.singleton-proxy.log-singleton-identification-failure = off", HoconAddMode.Prepend)
            .AddStartup((system, _) =>
            {
                var cluster = Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });

    /// <summary>Job entities sharded by job id, the node's admission, and the housekeeper over the job index.</summary>
    public static AkkaConfigurationBuilder AddJobEntities(this AkkaConfigurationBuilder akka, JobOptions options) =>
        akka.WithActors((system, registry, resolver) =>
                registry.Register<NodeAdmissionKey>(system.ActorOf(NodeAdmission.Props(options), "admission")))
            .WithShardRegion<JobRegionKey>(JobTypeName, (system, registry, resolver) =>
                {
                    var pipeline = resolver.GetService<PagePipeline>();
                    var index = resolver.GetService<IJobIndex>();
                    var admission = registry.Get<NodeAdmissionKey>();
                    return entityId => JobEntity.Props(entityId, pipeline, options, admission, index);
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
                system.ActorOf(JobHousekeeper.Props(registry.Get<JobRegionKey>(), resolver.GetService<IJobIndex>(), options), "housekeeper"));
}

/// <summary>Job commands go to the entity named by their job id; shards by a stable hash of it.</summary>
public sealed class JobMessageExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => message is IJobCommand command ? command.JobId.Value : null;
}
