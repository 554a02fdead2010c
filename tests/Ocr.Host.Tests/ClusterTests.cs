using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Ocr.TestSupport;
using Xunit.Abstractions;

namespace Ocr.Host.Tests;

/// <summary>
/// Cluster mode for real: two host processes on loopback, one redis-server (append-only file, fsync
/// always), one shared uploads directory, one job at a time per node. Nodes and Redis are killed
/// with SIGKILL and restarted on their own data.
/// </summary>
public sealed class TwoNodeCluster : IAsyncLifetime
{
    public const string UploadsEnv = "OCR_UPLOADS_DIR";

    public RedisServer Redis { get; } = new(appendOnly: true);

    public string Uploads { get; } = Path.Combine(Path.GetTempPath(), "akkaocr-shared-uploads-" + Guid.NewGuid().ToString("N"));

    public Dictionary<string, HostProcess> Nodes { get; } = [];

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Uploads);
        await Redis.InitializeAsync();
        var portA = HostProcess.FreePort();
        var portB = HostProcess.FreePort();
        Nodes["node-a"] = Node("node-a", portA, $"127.0.0.1:{portA}");
        Nodes["node-b"] = Node("node-b", portB, $"127.0.0.1:{portA}");
        await Nodes["node-a"].StartAsync(TimeSpan.FromSeconds(120));
        await Nodes["node-b"].StartAsync(TimeSpan.FromSeconds(120));
        await WaitForMembersAsync(2);
    }

    private HostProcess Node(string name, int akkaPort, string seeds) => new(new Dictionary<string, string>
    {
        ["REDIS_URL"] = Redis.Url,
        ["OCR_REDIS_DB"] = "5",
        ["OCR_CLUSTER_HOST"] = "127.0.0.1",
        ["OCR_CLUSTER_PORT"] = akkaPort.ToString(),
        ["OCR_CLUSTER_SEEDS"] = seeds,
        ["OCR_NODE_NAME"] = name,
        [UploadsEnv] = Uploads,
        ["OCR_MAX_CONCURRENT_JOBS"] = "1",
        ["OCR_JOB_TIMEOUT"] = "600",
        ["OCR_CLEANUP_DELAY"] = "600",
        ["OCR_ENGINES"] = "1",
    });

    public HostProcess Other(string name) => Nodes.First(n => n.Key != name).Value;

    /// <summary>Waits until every running node sees <paramref name="count"/> members up.</summary>
    public async Task WaitForMembersAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            var views = new List<int>();
            foreach (var node in Nodes.Values.Where(n => n.ExitCode is null))
            {
                try
                {
                    using var client = node.Client("ops");
                    var system = await (await client.GetAsync("/api/ocr/system/")).JsonAsync();
                    views.Add(system["cluster"]!["members"]!.AsArray().Count(m => m!["status"].Text() == "Up"));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or NullReferenceException)
                {
                    views.Add(-1);
                }
            }

            last = string.Join(", ", views);
            if (views.Count > 0 && views.All(v => v == count))
            {
                return;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"members up per node: {last}, wanted {count}");
    }

    public async Task DisposeAsync()
    {
        // Kept for whoever reads a failure: what each node logged, in the temp folder.
        var logs = Path.Combine(Path.GetTempPath(), "akkaocr-cluster-test-logs");
        Directory.CreateDirectory(logs);
        foreach (var (name, node) in Nodes)
        {
            await node.DisposeAsync();
            await File.WriteAllTextAsync(Path.Combine(logs, $"{name}.log"), node.Log);
        }

        await Redis.DisposeAsync();
        try
        {
            Directory.Delete(Uploads, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<TwoNodeCluster>
{
    public const string Name = "two-node cluster";
}

[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(TwoNodeCluster cluster, ITestOutputHelper output)
{
    private static readonly string[] Terminal = ["completed", "failed", "cancelled"];

    private HostProcess A => cluster.Nodes["node-a"];

    private static byte[] Page => File.ReadAllBytes(EvalCorpus.PathOf("images/tess_phototest.tif"));

    /// <summary>Four pages of one scan (turned four ways), rendered at 200 dpi: a job long enough to interrupt.</summary>
    private static byte[] ScannedPdf => File.ReadAllBytes(EvalCorpus.PathOf("pdfs/ocrmypdf_cardinal.pdf"));

    private static readonly Dictionary<string, string> At200Dpi = new() { ["dpi"] = "200" };

    [Fact]
    public async Task Jobs_submitted_on_one_node_run_on_both_one_at_a_time_and_node_A_follows_those_on_B_live()
    {
        using var client = A.Client("cluster-live");
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await client.SubmitOkAsync($"page{i}.tif", Page));
        }

        var sockets = ids.Select(id => ReadWebSocketAsync(A, "cluster-live", id)).ToList();
        var hub = await HubRecorder.StartAsync(A, "cluster-live", ids);
        var finals = new List<JsonObject>();
        foreach (var id in ids)
        {
            finals.Add(await client.WaitAsync(id, TimeSpan.FromMinutes(4)));
        }

        finals.ShouldAllBe(s => s["status"].Text() == "completed");
        var byNode = finals.GroupBy(s => s["node"].Text()).ToDictionary(g => g.Key, g => g.ToList());
        byNode.Keys.Order().ShouldBe(["node-a", "node-b"]);
        foreach (var (node, jobs) in byNode)
        {
            var runs = jobs.Select(j => (Start: DateTimeOffset.Parse(j["started_at"].Text()), End: DateTimeOffset.Parse(j["completed_at"].Text()))).OrderBy(r => r.Start).ToList();
            for (var i = 1; i < runs.Count; i++)
            {
                runs[i].Start.ShouldBeGreaterThanOrEqualTo(runs[i - 1].End, $"two jobs at once on {node}");
            }
        }

        var onB = ids[finals.FindIndex(s => s["node"].Text() == "node-b")];
        var (messages, close) = await sockets[ids.IndexOf(onB)];
        messages[^1]["status"].Text().ShouldBe("completed");
        close.ShouldBe(WebSocketCloseStatus.NormalClosure);
        (await hub.TerminalOfAsync(onB)).ShouldBe("completed");
        await hub.DisposeAsync();

        // Any node answers for any job: node B reads what node A accepted, and refuses a stranger alike.
        using var onNodeB = cluster.Nodes["node-b"].Client("cluster-live");
        (await onNodeB.ResultAsync(ids[0]))["extracted_text"].Text().ShouldBe((await client.ResultAsync(ids[0]))["extracted_text"].Text());
        using var stranger = cluster.Nodes["node-b"].Client("cluster-stranger");
        (await stranger.GetAsync($"/api/ocr/job/{ids[0]}/status/")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Killing_the_node_that_runs_a_PDF_lets_the_other_node_finish_it_without_reading_a_page_twice()
    {
        var (id, running) = await StartPdfOnSomeNodeAsync("cluster-kill");
        var victim = running["node"].Text();
        var survivor = cluster.Other(victim);
        var doneAtKill = running["pages_done"]!.GetValue<int>();

        await cluster.Nodes[victim].KillAsync();
        try
        {
            var killedAt = DateTimeOffset.UtcNow;
            using var onSurvivor = survivor.Client("cluster-kill");
            await onSurvivor.WaitAsync(id, TimeSpan.FromMinutes(4), until: s => s["pages_done"]!.GetValue<int>() > doneAtKill || Terminal.Contains(s["status"].Text()));
            output.WriteLine($"next page done {(DateTimeOffset.UtcNow - killedAt).TotalSeconds:0.0} s after SIGKILL of {victim} (polled every 0.5 s)");
            var final = await onSurvivor.WaitAsync(id, TimeSpan.FromMinutes(4));

            final["status"].Text().ShouldBe("completed", final.ToJsonString());
            final["node"].Text().ShouldNotBe(victim);
            var pages = (await onSurvivor.ResultAsync(id))["pages"]!.AsArray();
            pages.Select(p => p!["page_number"]!.GetValue<int>()).ShouldBe([1, 2, 3, 4]);
            pages.Count(p => p!["node"].Text() == victim).ShouldBeGreaterThanOrEqualTo(doneAtKill, "pages read before the kill were read again");
        }
        finally
        {
            await cluster.Nodes[victim].StartAsync(TimeSpan.FromSeconds(120));
            await cluster.WaitForMembersAsync(2);
        }
    }

    [Fact]
    public async Task A_node_stopped_with_SIGTERM_hands_its_job_over_and_the_job_completes_on_the_other()
    {
        // Eight pages: the leaving node must still have pages to read once its shards have moved.
        var (id, running) = await StartPdfOnSomeNodeAsync("cluster-leave", await EightPagePdfAsync());
        var leaving = running["node"].Text();
        try
        {
            await cluster.Nodes[leaving].StopAsync();
            cluster.Nodes[leaving].ExitCode.ShouldBe(0, cluster.Nodes[leaving].Log);
            using var onOther = cluster.Other(leaving).Client("cluster-leave");
            var final = await onOther.WaitAsync(id, TimeSpan.FromMinutes(4));

            final["status"].Text().ShouldBe("completed", final.ToJsonString());
            final["node"].Text().ShouldNotBe(leaving);
            var pages = (await onOther.ResultAsync(id))["pages"]!.AsArray();
            pages.Select(p => p!["page_number"]!.GetValue<int>()).ShouldBe(Enumerable.Range(1, 8));
        }
        finally
        {
            // The other tests need both nodes, whatever this one found.
            await cluster.Nodes[leaving].StartAsync(TimeSpan.FromSeconds(120));
            await cluster.WaitForMembersAsync(2);
        }
    }

    [Fact]
    public async Task Redis_killed_mid_job_refuses_submits_with_503_and_once_back_the_job_completes_with_nothing_lost()
    {
        using var client = A.Client("cluster-redis");
        var before = await client.SubmitOkAsync("before.txt", "accepted before the outage"u8.ToArray());
        await client.WaitAsync(before);
        var id = await client.SubmitOkAsync("cardinal.pdf", ScannedPdf, At200Dpi);
        await WaitOnAnyAsync("cluster-redis", id, s => s["pages_done"]!.GetValue<int>() >= 1);

        await cluster.Redis.KillAsync();
        try
        {
            await DuringOutageAsync(client);
        }
        finally
        {
            await cluster.Redis.StartAsync();
        }

        var final = await client.WaitAsync(id, TimeSpan.FromMinutes(4));

        final["status"].Text().ShouldBe("completed", final.ToJsonString());
        (await client.ResultAsync(id))["pages"]!.AsArray().Select(p => p!["page_number"]!.GetValue<int>()).ShouldBe([1, 2, 3, 4]);
        (await client.ResultAsync(before))["extracted_text"].Text().ShouldContain("accepted before the outage");
        var history = (await (await client.GetAsync("/api/ocr/jobs/?limit=100")).JsonAsync())["jobs"]!.AsArray().Select(j => j!["job_id"].Text()).ToList();
        history.ShouldBe(history.Distinct().ToList());
        history.ShouldContain(id);
        history.ShouldContain(before);
        await RetryUntilAsync(TimeSpan.FromSeconds(60), async () =>
            (await A.Client(null).GetAsync("/api/ocr/health/")).StatusCode == HttpStatusCode.OK ? "healthy" : null);
    }

    private async Task DuringOutageAsync(HttpClient client)
    {
        var refused = await RetryUntilAsync(TimeSpan.FromSeconds(15), async () =>
        {
            var response = await client.SubmitAsync("during.txt", "during the outage"u8.ToArray());
            response.StatusCode.ShouldNotBe(HttpStatusCode.InternalServerError);
            return response.StatusCode == HttpStatusCode.ServiceUnavailable ? response : null;
        });
        (await refused.JsonAsync())["error"].Text().ShouldContain("Redis");
        refused.Headers.RetryAfter.ShouldNotBeNull();
        var health = await A.Client(null).GetAsync("/api/ocr/health/");
        health.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await health.JsonAsync())["checks"]!["redis"]!["status"].Text().ShouldBe("failing");
    }

    /// <summary>Submits the scanned PDF on node A and waits until some node has read its first page: a job to interrupt.</summary>
    private static async Task<byte[]> EightPagePdfAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"akkaocr-cardinal-x2-{Guid.NewGuid():N}.pdf");
        var cardinal = EvalCorpus.PathOf("pdfs/ocrmypdf_cardinal.pdf");
        try
        {
            (await Processes.RunAsync("qpdf", ["--empty", "--pages", cardinal, "1-4", cardinal, "1-4", "--", path])).ExitCode.ShouldBe(0);
            return await File.ReadAllBytesAsync(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private async Task<(string Id, JsonObject Running)> StartPdfOnSomeNodeAsync(string user, byte[]? pdf = null)
    {
        using var client = A.Client(user);
        var id = await client.SubmitOkAsync("cardinal.pdf", pdf ?? ScannedPdf, At200Dpi);
        return (id, await WaitOnAnyAsync(user, id, s => s["pages_done"]!.GetValue<int>() >= 1 && s["node"] is not null));
    }

    /// <summary>Polls whichever node is alive (a node may be killed meanwhile).</summary>
    private async Task<JsonObject> WaitOnAnyAsync(string user, string id, Func<JsonObject, bool> until)
    {
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var node in cluster.Nodes.Values.Where(n => n.ExitCode is null))
            {
                using var client = node.Client(user);
                var response = await client.GetAsync($"/api/ocr/job/{id}/status/");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var status = await response.JsonAsync();
                    if (until(status))
                    {
                        return status;
                    }

                    Terminal.Contains(status["status"].Text()).ShouldBeFalse($"the job ended before the test could interrupt it: {status.ToJsonString()}");
                    break;
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"job {id} never met the condition");
    }

    private static async Task<T> RetryUntilAsync<T>(TimeSpan timeout, Func<Task<T?>> attempt)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await attempt() is { } result)
                {
                    return result;
                }
            }
            catch (Exception e) when ((e is HttpRequestException or TaskCanceledException) && DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not met in time");
            }

            await Task.Delay(500);
        }
    }

    private static async Task<(List<JsonObject> Messages, WebSocketCloseStatus? Close)> ReadWebSocketAsync(HostProcess node, string user, string jobId)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + Tokens.For(user));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{node.Port}/ws/ocr/progress/{jobId}/"), default);
        return await ProgressSocket.ReadAllAsync(socket, TimeSpan.FromMinutes(4));
    }

    private sealed class HubRecorder : IAsyncDisposable
    {
        private readonly HubConnection _connection;
        private readonly Dictionary<string, TaskCompletionSource<string>> _terminal;

        private HubRecorder(HubConnection connection, IEnumerable<string> jobIds)
        {
            _connection = connection;
            _terminal = jobIds.ToDictionary(id => id, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
            connection.On<JsonObject>("progress", message =>
            {
                if (Terminal.Contains(message["status"].Text()) && _terminal.TryGetValue(message["job_id"].Text(), out var done))
                {
                    done.TrySetResult(message["status"].Text());
                }
            });
        }

        public static async Task<HubRecorder> StartAsync(HostProcess node, string user, IReadOnlyList<string> jobIds)
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(node.BaseAddress, "/hubs/ocr"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(Tokens.For(user)))
                .Build();
            var recorder = new HubRecorder(connection, jobIds);
            await connection.StartAsync();
            foreach (var id in jobIds)
            {
                await connection.InvokeAsync("SubscribeJob", id);
            }

            return recorder;
        }

        public Task<string> TerminalOfAsync(string jobId) => _terminal[jobId].Task.WaitAsync(TimeSpan.FromMinutes(2));

        public ValueTask DisposeAsync() => _connection.DisposeAsync();
    }
}
