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

/// <summary>Forwards the job actors' progress (published on the event stream) to the broker.</summary>
public sealed class ProgressForwarder : ReceiveActor
{
    public ProgressForwarder(ProgressBroker broker)
    {
        Receive<JobProgress>(broker.Publish);
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(JobProgress));
}

public static class ProgressAkkaExtensions
{
    public static AkkaConfigurationBuilder AddProgressFanOut(this AkkaConfigurationBuilder akka) =>
        akka.WithActors((system, _, resolver) =>
            system.ActorOf(Props.Create(() => new ProgressForwarder(resolver.GetService<ProgressBroker>())), "progress-forwarder"));
}
