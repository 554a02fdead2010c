using System.Net.WebSockets;
using System.Text.Json;
using Ocr.Actors.Jobs;
using Ocr.Host.Api;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Host.Progress;

/// <summary>The raw progress WebSocket: /ws/ocr/progress/{jobId}.</summary>
public static class ProgressWebSocket
{
    public static IEndpointConventionBuilder MapProgressWebSocket(this IEndpointRouteBuilder app) =>
        app.Map("/ws/ocr/progress/{jobId}", Handle).RequireAuthorization().ExcludeFromDescription();

    private static async Task Handle(HttpContext http, string jobId, ProgressFeed feed, JsonSerializerOptionsHolder json)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await ErrorResults.WriteAsync(http, 400, "this endpoint needs a WebSocket upgrade");
            return;
        }

        var aborted = http.RequestAborted;
        var (access, messages) = await feed.OpenAsync(new JobId(jobId), OcrApi.UserOf(http.User), aborted);
        if (messages is null)
        {
            var (status, text) = access switch
            {
                NotFound => (404, $"job {jobId} not found"),
                Forbidden => (403, "this job belongs to another user"),
                _ => (500, "could not read the job"),
            };
            await ErrorResults.WriteAsync(http, status, text);
            return;
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        try
        {
            await foreach (var message in messages.WithCancellation(aborted))
            {
                var bytes = JsonSerializer.SerializeToUtf8Bytes(message, json.Options);
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, aborted);
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "job finished", aborted);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // the client went away
        }
    }
}

/// <summary>The JSON options of the HTTP API (snake_case), shared with the raw WebSocket.</summary>
public sealed class JsonSerializerOptionsHolder(JsonSerializerOptions options)
{
    public JsonSerializerOptions Options { get; } = options;
}
