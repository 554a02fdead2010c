using System.Collections.Concurrent;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Ocr.Actors.Jobs;

namespace Ocr.Actors.Progress;

/// <summary>
/// In-process fan-out of job progress to live subscribers (WebSocket and SignalR connections).
/// Each subscriber drains its own bounded channel; when it falls behind, the oldest
/// intermediate messages are dropped, never the newest (so the terminal state always arrives).
/// </summary>
public sealed class ProgressBroker
{
    private const int SubscriberCapacity = 64;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Guid, Channel<JobProgress>>> _subscribers = new();

    public int SubscriberCount => _subscribers.Values.Sum(s => s.Count);

    public Subscription Subscribe(string jobId)
    {
        var channel = Channel.CreateBounded<JobProgress>(new BoundedChannelOptions(SubscriberCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        var id = Guid.NewGuid();
        _subscribers.GetOrAdd(jobId, _ => new()).TryAdd(id, channel);
        return new Subscription(channel.Reader, () =>
        {
            if (_subscribers.TryGetValue(jobId, out var forJob))
            {
                forJob.TryRemove(id, out _);
                if (forJob.IsEmpty)
                {
                    _subscribers.TryRemove(new KeyValuePair<string, ConcurrentDictionary<Guid, Channel<JobProgress>>>(jobId, forJob));
                }
            }

            channel.Writer.TryComplete();
        });
    }

    public void Publish(JobProgress progress)
    {
        if (_subscribers.TryGetValue(progress.JobId, out var forJob))
        {
            foreach (var channel in forJob.Values)
            {
                channel.Writer.TryWrite(progress);
            }
        }
    }

    public sealed class Subscription(ChannelReader<JobProgress> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<JobProgress> Reader { get; } = reader;

        public void Dispose() => unsubscribe();
    }
}

/// <summary>
/// Forwards every job's progress, from whichever node runs it (cluster pub-sub), to this node's
/// broker: a WebSocket or hub connection on any node follows any job.
/// </summary>
public sealed class ProgressForwarder : ReceiveActor
{
    public const string Topic = "ocr-job-progress";

    public ProgressForwarder(ProgressBroker broker)
    {
        Receive<JobProgress>(broker.Publish);
        Receive<Akka.Cluster.Tools.PublishSubscribe.SubscribeAck>(_ => { });
    }

    protected override void PreStart() =>
        Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(Context.System).Mediator
            .Tell(new Akka.Cluster.Tools.PublishSubscribe.Subscribe(Topic, Self));

    /// <summary>How a job's entity announces its progress to every node.</summary>
    public static void Publish(ActorSystem system, JobProgress progress) =>
        Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(system).Mediator
            .Tell(new Akka.Cluster.Tools.PublishSubscribe.Publish(Topic, progress));
}

public static class ProgressAkkaExtensions
{
    public static AkkaConfigurationBuilder AddProgressFanOut(this AkkaConfigurationBuilder akka) =>
        akka.WithActors((system, _, resolver) =>
            system.ActorOf(Props.Create(() => new ProgressForwarder(resolver.GetService<ProgressBroker>())), "progress-forwarder"));
}
