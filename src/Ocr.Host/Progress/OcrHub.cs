using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Ocr.Actors.Jobs;
using Ocr.Host.Api;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Host.Progress;

/// <summary>
/// SignalR hub /hubs/ocr. SubscribeJob checks ownership, then a background pump sends this
/// connection the job's current state and every later message as `progress` events.
/// </summary>
[Authorize]
public sealed class OcrHub(ProgressFeed feed, IHubContext<OcrHub> hub, ILogger<OcrHub> log) : Hub
{
    public async Task SubscribeJob(string jobId)
    {
        var connectionId = Context.ConnectionId;
        var aborted = Context.ConnectionAborted;
        var (access, messages) = await feed.OpenAsync(new JobId(jobId), OcrApi.UserOf(Context.User!), aborted);
        if (messages is null)
        {
            throw new HubException(access switch
            {
                NotFound => $"job {jobId} not found",
                Forbidden => "this job belongs to another user",
                _ => "could not read the job",
            });
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in messages.WithCancellation(aborted))
                {
                    await hub.Clients.Client(connectionId).SendAsync("progress", message, aborted);
                }
            }
            catch (OperationCanceledException)
            {
                // connection closed
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Progress pump for job {JobId} stopped", jobId);
            }
        }, CancellationToken.None);
    }
}
