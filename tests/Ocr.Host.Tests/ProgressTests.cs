using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Ocr.TestSupport;

namespace Ocr.Host.Tests;

[Collection(SharedHostCollection.Name)]
public sealed class ProgressTests(SharedHost shared)
{
    private HostProcess Host => shared.Host;

    private async Task<string> SubmitPageAsync(HttpClient client) =>
        await client.SubmitOkAsync("phototest.tif", await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/tess_phototest.tif")));

    [Fact]
    public async Task The_WebSocket_streams_progress_to_the_terminal_state_then_closes_normally()
    {
        using var client = Host.Client("ws-user");
        var jobId = await SubmitPageAsync(client);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + Tokens.For("ws-user"));

        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Host.Port}/ws/ocr/progress/{jobId}/"), default);
        var (messages, closeStatus) = await ReadAllAsync(socket);

        messages.ShouldNotBeEmpty();
        foreach (var message in messages)
        {
            foreach (var field in new[] { "job_id", "status", "progress", "message", "page", "page_count", "timestamp" })
            {
                message.ContainsKey(field).ShouldBeTrue(field);
            }

            message["job_id"].Text().ShouldBe(jobId);
            message["timestamp"]!.GetValue<double>().ShouldBeInRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        }

        var progress = messages.Select(m => m["progress"]!.GetValue<int>()).ToList();
        progress.ShouldBe(progress.Order().ToList());
        messages[^1]["status"].Text().ShouldBe("completed");
        progress[^1].ShouldBe(100);
        closeStatus.ShouldBe(WebSocketCloseStatus.NormalClosure);
    }

    [Fact]
    public async Task A_late_WebSocket_subscriber_with_a_query_token_gets_the_terminal_state_first()
    {
        using var client = Host.Client("ws-late-user");
        var jobId = await client.SubmitOkAsync("late.txt", "late"u8.ToArray());
        await client.WaitAsync(jobId);
        using var socket = new ClientWebSocket();

        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Host.Port}/ws/ocr/progress/{jobId}?token={Tokens.For("ws-late-user")}"), default);
        var (messages, closeStatus) = await ReadAllAsync(socket);

        messages.Count.ShouldBe(1);
        messages[0]["status"].Text().ShouldBe("completed");
        closeStatus.ShouldBe(WebSocketCloseStatus.NormalClosure);
    }

    [Theory]
    [InlineData("another user")]
    [InlineData("bad key")]
    [InlineData("no token")]
    public async Task The_WebSocket_refuses_strangers_before_the_upgrade(string who)
    {
        using var client = Host.Client("ws-owner");
        var jobId = await client.SubmitOkAsync("owned.txt", "owned"u8.ToArray());
        var token = who switch
        {
            "another user" => Tokens.For("ws-stranger"),
            "bad key" => Tokens.For("ws-owner", secret: "wrong-wrong-wrong-wrong-wrong-wrong"),
            _ => null,
        };
        using var socket = new ClientWebSocket();
        var uri = new Uri($"ws://127.0.0.1:{Host.Port}/ws/ocr/progress/{jobId}/" + (token is null ? "" : $"?token={token}"));

        await Should.ThrowAsync<WebSocketException>(() => socket.ConnectAsync(uri, default));
    }

    [Fact]
    public async Task SignalR_subscribers_get_progress_events_ending_in_the_terminal_state()
    {
        using var client = Host.Client("hub-user");
        var jobId = await SubmitPageAsync(client);
        var messages = new List<JsonObject>();
        var done = new TaskCompletionSource();
        await using var connection = Connect("hub-user");
        connection.On<JsonObject>("progress", message =>
        {
            lock (messages)
            {
                messages.Add(message);
            }

            if (message["status"].Text() is "completed" or "failed" or "cancelled")
            {
                done.TrySetResult();
            }
        });
        await connection.StartAsync();

        await connection.InvokeAsync("SubscribeJob", jobId);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(60));

        lock (messages)
        {
            messages[^1]["status"].Text().ShouldBe("completed");
            messages[^1]["progress"]!.GetValue<int>().ShouldBe(100);
            var progress = messages.Select(m => m["progress"]!.GetValue<int>()).ToList();
            progress.ShouldBe(progress.Order().ToList());
            messages.ShouldAllBe(m => m["job_id"]!.GetValue<string>() == jobId);
        }
    }

    [Fact]
    public async Task SignalR_SubscribeJob_fails_for_another_users_job()
    {
        using var client = Host.Client("hub-owner");
        var jobId = await client.SubmitOkAsync("x.txt", "x"u8.ToArray());
        await using var connection = Connect("hub-stranger");
        var leaked = 0;
        connection.On<JsonObject>("progress", _ => Interlocked.Increment(ref leaked));
        await connection.StartAsync();

        var error = await Should.ThrowAsync<Microsoft.AspNetCore.SignalR.HubException>(() => connection.InvokeAsync("SubscribeJob", jobId));

        error.Message.ShouldContain("another user");
        await Task.Delay(500);
        leaked.ShouldBe(0);
    }

    [Fact]
    public async Task SignalR_refuses_a_bad_token_at_negotiate()
    {
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(Host.BaseAddress, "/hubs/ocr"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(Tokens.For("x", secret: "wrong-wrong-wrong-wrong-wrong-wrong")))
            .Build();

        var error = await Should.ThrowAsync<HttpRequestException>(() => connection.StartAsync());

        error.StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
    }

    private HubConnection Connect(string user) => new HubConnectionBuilder()
        .WithUrl(new Uri(Host.BaseAddress, "/hubs/ocr"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(Tokens.For(user)))
        .Build();

    private static Task<(List<JsonObject> Messages, WebSocketCloseStatus? Close)> ReadAllAsync(ClientWebSocket socket) =>
        ProgressSocket.ReadAllAsync(socket, TimeSpan.FromSeconds(90));
}
