using Akka.Actor;
using Akka.Cluster.Sharding;

namespace Ocr.Actors.Metrics;

/// <summary>Samples the local job shard region every few seconds for the shards and entities gauges.</summary>
public sealed class RegionSampler : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(10);

    public RegionSampler(IActorRef region)
    {
        Receive<Sample>(_ => region.Tell(GetShardRegionState.Instance));
        Receive<CurrentShardRegionState>(state => OcrMetrics.RegionSampled(state.Shards.Count, state.Shards.Sum(s => s.EntityIds.Count)));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef region) => Akka.Actor.Props.Create(() => new RegionSampler(region));

    protected override void PreStart() => Timers.StartPeriodicTimer(nameof(Sample), Sample.Instance, TimeSpan.FromSeconds(1), Every);

    private sealed class Sample
    {
        public static readonly Sample Instance = new();
    }
}
