using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Hosting;
using Ocr.Actors.Jobs;
using Ocr.Actors.Progress;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Host.Progress;

/// <summary>
/// One subscriber's view of a job's progress, shared by the WebSocket and the hub: the current
/// state first, then live messages (never going backwards), ending with the terminal state.
/// </summary>
public sealed class ProgressFeed(IRequiredActor<JobRegionKey> jobs, ProgressBroker broker)
{
    /// <summary>Checks access first: the reply is NotFound/Forbidden, or a feed to read.</summary>
    public async Task<(IJobReply Access, IAsyncEnumerable<JobProgress>? Feed)> OpenAsync(JobId jobId, UserId user, CancellationToken cancellationToken)
    {
        // Subscribe before reading the current state so nothing published in between is missed.
        var subscription = broker.Subscribe(jobId.Value);
        try
        {
            var reply = await jobs.ActorRef.Ask<IJobReply>(new JobCommands.GetStatus(jobId, user), TimeSpan.FromSeconds(10), cancellationToken);
            if (reply is not JobReplies.Status status)
            {
                subscription.Dispose();
                return (reply, null);
            }

            return (reply, Read(subscription, FromView(status.View), cancellationToken));
        }
        catch
        {
            subscription.Dispose();
            throw;
        }
    }

    public static JobProgress FromView(JobStatusView view) => new(
        view.JobId, view.Owner, view.Status, view.Progress, view.Message, view.PagesDone, view.PageCount ?? 0,
        DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);

    private static async IAsyncEnumerable<JobProgress> Read(ProgressBroker.Subscription subscription, JobProgress current, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (subscription)
        {
            yield return current;
            if (current.IsTerminal)
            {
                yield break;
            }

            var last = current;
            await foreach (var next in subscription.Reader.ReadAllAsync(cancellationToken))
            {
                if (!next.Follows(last))
                {
                    continue;
                }

                last = next;
                yield return next;
                if (next.IsTerminal)
                {
                    yield break;
                }
            }
        }
    }
}
