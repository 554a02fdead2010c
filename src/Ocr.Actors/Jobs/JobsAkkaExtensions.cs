using Akka.Hosting;
using Ocr.Actors.Persistence;
using Ocr.Actors.Serialization;
using Ocr.Pipeline.Streams;

namespace Ocr.Actors.Jobs;

/// <summary>Registry key of the node's job supervisor.</summary>
public sealed class JobSupervisorKey;

public static class JobsAkkaExtensions
{
    /// <summary>The embedded journal and snapshot store (SQLite file under <paramref name="dataDirectory"/>).</summary>
    public static AkkaConfigurationBuilder AddSqliteJournal(this AkkaConfigurationBuilder akka, string dataDirectory) =>
        akka.AddHocon(JournalSettings.SqliteHocon(JournalSettings.SqliteConnectionString(dataDirectory)), HoconAddMode.Prepend);

    public static AkkaConfigurationBuilder AddOcrSerializer(this AkkaConfigurationBuilder akka) =>
        akka.AddHocon(OcrSerializer.BindingConfig, HoconAddMode.Prepend);

    public static AkkaConfigurationBuilder AddJobActors(this AkkaConfigurationBuilder akka) =>
        akka.WithActors((system, registry, resolver) =>
        {
            var pipeline = resolver.GetService<PagePipeline>();
            var options = resolver.GetService<JobOptions>();
            registry.Register<JobSupervisorKey>(system.ActorOf(JobSupervisor.Props(pipeline, options), "jobs"));
        });
}
