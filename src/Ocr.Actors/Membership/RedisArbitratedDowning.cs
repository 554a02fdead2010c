using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Ocr.Actors.Persistence;

namespace Ocr.Actors.Membership;

/// <summary>
/// Downing for clusters of any size, two included, with Redis (which holds the jobs anyway) as
/// the arbiter. A member unreachable for <c>stable-after</c> is downed when its heartbeat in
/// Redis has stopped too: it is dead, or cut off from Redis and so unable to do any work. When
/// it still beats (the nodes cannot reach each other but both reach Redis), the younger of the
/// two downs itself and the oldest keeps the cluster. A node that cannot read Redis decides
/// nothing. Keep-majority cannot choose between the halves of a two-node cluster, and
/// keep-oldest downs the survivor when the younger of two dies.
/// </summary>
public sealed class RedisArbitratedDowning : IDowningProvider
{
    public const string ConfigPath = "akka.cluster.redis-downing";

    private readonly Akka.Configuration.Config _config;

    /// <summary>Akka constructs downing providers with the system and its cluster.</summary>
    public RedisArbitratedDowning(ActorSystem system, Cluster cluster)
    {
        _config = system.Settings.Config.GetConfig(ConfigPath);
    }

    // A downed node is dead or cut off from Redis (it can write nothing): its shards may move at once.
    public TimeSpan DownRemovalMargin => TimeSpan.Zero;

    public Props DowningActorProps
    {
        get
        {
            var registry = new NodeRegistry(RedisConnection.Get(_config.GetString("connection-string")), _config.GetInt("database"), _config.GetString("key-prefix"));
            var settings = new DowningSettings(
                _config.GetTimeSpan("stable-after", TimeSpan.FromSeconds(2)),
                _config.GetTimeSpan("heartbeat-interval", TimeSpan.FromSeconds(1)),
                _config.GetTimeSpan("heartbeat-timeout", TimeSpan.FromSeconds(4)));
            return Props.Create(() => new DowningActor(registry, settings));
        }
    }
}

public sealed record DowningSettings(TimeSpan StableAfter, TimeSpan HeartbeatInterval, TimeSpan HeartbeatTimeout);

/// <summary>What to do about one unreachable member: pure, so the rule is tested on its own.</summary>
public static class DowningRule
{
    public enum Verdict { Wait, DownIt, DownSelf }

    /// <param name="lastBeat">The member's last heartbeat; null when Redis could not be read.</param>
    /// <param name="selfIsOlder">Whether this node joined the cluster before the member.</param>
    public static Verdict Decide(TimeSpan unreachableFor, DateTimeOffset? lastBeat, bool redisRead, bool selfIsOlder, DateTimeOffset now, DowningSettings settings)
    {
        if (unreachableFor < settings.StableAfter || !redisRead)
        {
            return Verdict.Wait;
        }

        if (lastBeat is null || now - lastBeat.Value > settings.HeartbeatTimeout)
        {
            return Verdict.DownIt;
        }

        return selfIsOlder ? Verdict.Wait : Verdict.DownSelf;
    }
}

internal sealed class DowningActor : ReceiveActor, IWithTimers
{
    private readonly NodeRegistry _registry;
    private readonly DowningSettings _settings;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<UniqueAddress, (Member Member, DateTimeOffset Since)> _unreachable = [];
    private bool _checking;

    public DowningActor(NodeRegistry registry, DowningSettings settings)
    {
        _registry = registry;
        _settings = settings;
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Unreachable)
            {
                _unreachable[member.UniqueAddress] = (member, DateTimeOffset.UtcNow);
            }
        });
        Receive<ClusterEvent.UnreachableMember>(u => _unreachable[u.Member.UniqueAddress] = (u.Member, DateTimeOffset.UtcNow));
        Receive<ClusterEvent.ReachableMember>(r => _unreachable.Remove(r.Member.UniqueAddress));
        Receive<ClusterEvent.MemberRemoved>(r => _unreachable.Remove(r.Member.UniqueAddress));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<Tick>(_ => OnTick());
        Receive<Checked>(OnChecked);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.IMemberEvent));
        Timers.StartPeriodicTimer(nameof(Tick), Tick.Instance, _settings.HeartbeatInterval);
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        if (_cluster.SelfMember.Status is MemberStatus.Exiting or MemberStatus.Removed or MemberStatus.Leaving)
        {
            _registry.ForgetAsync(_cluster.SelfAddress.ToString());
        }
    }

    private void OnTick()
    {
        var self = _cluster.SelfAddress.ToString();
        var beat = _registry.BeatAsync(self, DateTimeOffset.UtcNow);
        if (_unreachable.Count == 0 || _checking)
        {
            return;
        }

        _checking = true;
        var members = _unreachable.Values.ToList();
        Task.Run(async () =>
        {
            var beats = new List<(Member, DateTimeOffset Since, DateTimeOffset? LastBeat, bool Read)>();
            foreach (var (member, since) in members)
            {
                try
                {
                    beats.Add((member, since, await _registry.LastBeatAsync(member.Address.ToString()), true));
                }
                catch (Exception)
                {
                    beats.Add((member, since, null, false));
                }
            }

            try
            {
                await beat;
            }
            catch (Exception)
            {
                // Our own beat not written: Redis is away from here, so decide nothing this round.
                return new Checked([.. beats.Select(b => (b.Item1, b.Since, b.LastBeat, false))]);
            }

            return new Checked(beats);
        }).PipeTo(Self);
    }

    private void OnChecked(Checked result)
    {
        _checking = false;
        var now = DateTimeOffset.UtcNow;
        var self = _cluster.SelfMember;
        foreach (var (member, since, lastBeat, read) in result.Members)
        {
            if (!_unreachable.ContainsKey(member.UniqueAddress))
            {
                continue;
            }

            switch (DowningRule.Decide(now - since, lastBeat, read, self.IsOlderThan(member), now, _settings))
            {
                case DowningRule.Verdict.DownIt:
                    _log.Warning("Downing {Member}: unreachable for {Seconds:0.0} s and its heartbeat in Redis stopped {Beat}",
                        member.Address, (now - since).TotalSeconds, lastBeat is null ? "(none)" : $"{(now - lastBeat.Value).TotalSeconds:0.0} s ago");
                    _cluster.Down(member.Address);
                    _unreachable.Remove(member.UniqueAddress);
                    break;
                case DowningRule.Verdict.DownSelf:
                    _log.Warning("Downing this node: {Member} is unreachable from here but alive in Redis, and is the older of the two", member.Address);
                    _cluster.Down(_cluster.SelfAddress);
                    return;
            }
        }
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record Checked(IReadOnlyList<(Member Member, DateTimeOffset Since, DateTimeOffset? LastBeat, bool Read)> Members);
}
