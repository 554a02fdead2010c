using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ocr.Ctl;

/// <summary>
/// ocrctl: the operators' command line over /api/ocr/admin (Petabridge.Cmd's cluster and sharding
/// palettes, as HTTP). Exit 0 on success, 1 when the service refuses (its error printed), 2 on bad usage.
/// </summary>
public static class Cli
{
    public const int Refused = 1;

    private static readonly Option<string> Url = new("--url") { Description = "service address (default OCR_URL, else http://localhost:8008)", Recursive = true };
    private static readonly Option<string> Token = new("--token") { Description = "an admin token (default OCR_TOKEN)", Recursive = true };
    private static readonly Option<bool> Json = new("--json") { Description = "print JSON instead of tables", Recursive = true };

    public static RootCommand Build()
    {
        var root = new RootCommand("ocrctl — inspect and operate AkkaOcr") { Url, Token, Json };

        var status = new Command("status", "health, mode, members and queue in one view");
        status.SetAction((p, ct) => Run(p, ct, StatusAsync));
        root.Subcommands.Add(status);

        var cluster = new Command("cluster", "the cluster");
        var show = new Command("show", "members, status, reachability, leader, shards and jobs per node");
        show.SetAction((p, ct) => Run(p, ct, ClusterAsync));
        cluster.Subcommands.Add(show);
        root.Subcommands.Add(cluster);

        var jobs = new Command("jobs", "any user's jobs");
        var statusFilter = new Option<string>("--status") { Description = "pending, processing, completed, failed or cancelled" };
        var userFilter = new Option<string>("--user") { Description = "only this user's jobs" };
        var limit = new Option<int>("--limit") { Description = "at most this many (1-500)", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "jobs, newest first") { statusFilter, userFilter, limit };
        list.SetAction((p, ct) => Run(p, ct, (c, j, t) => JobsListAsync(c, j, p.GetValue(statusFilter), p.GetValue(userFilter), p.GetValue(limit), t)));
        var id = new Argument<string>("id") { Description = "the job id" };
        var showJob = new Command("show", "one job's status object") { id };
        showJob.SetAction((p, ct) => Run(p, ct, (c, j, t) => JobShowAsync(c, j, p.GetValue(id)!, t)));
        var cancelId = new Argument<string>("id") { Description = "the job id" };
        var cancel = new Command("cancel", "cancel a pending or processing job of any user") { cancelId };
        cancel.SetAction((p, ct) => Run(p, ct, (c, j, t) => PostAsync(c, j, $"/api/ocr/admin/jobs/{Uri.EscapeDataString(p.GetValue(cancelId)!)}/cancel", "cancelled", t)));
        jobs.Subcommands.Add(list);
        jobs.Subcommands.Add(showJob);
        jobs.Subcommands.Add(cancel);
        root.Subcommands.Add(jobs);

        var queue = new Command("queue", "every node's slots, queue depth and admission order");
        queue.SetAction((p, ct) => Run(p, ct, QueueAsync));
        root.Subcommands.Add(queue);

        var engines = new Command("engines", "this node's engines");
        engines.SetAction((p, ct) => Run(p, ct, EnginesAsync));
        root.Subcommands.Add(engines);

        var node = new Command("node", "a node");
        var name = new Argument<string>("name") { Description = "the node's name (OCR_NODE_NAME) or address" };
        var drain = new Command("drain", "stop the node offering job slots") { name };
        drain.SetAction((p, ct) => Run(p, ct, (c, j, t) => PostAsync(c, j, $"/api/ocr/admin/nodes/{Uri.EscapeDataString(p.GetValue(name)!)}/drain", "draining", t)));
        node.Subcommands.Add(drain);
        root.Subcommands.Add(node);
        return root;
    }

    private delegate Task<int> Action(HttpClient client, bool json, CancellationToken cancellationToken);

    private static async Task<int> Run(ParseResult parse, CancellationToken cancellationToken, Action action)
    {
        var url = parse.GetValue(Url) ?? Environment.GetEnvironmentVariable("OCR_URL") ?? "http://localhost:8008";
        var token = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable("OCR_TOKEN");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri))
        {
            Console.Error.WriteLine($"ocrctl: --url '{url}' is not an absolute URL");
            return 2;
        }

        using var client = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(token))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            return await action(client, parse.GetValue(Json), cancellationToken);
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"ocrctl: cannot reach {baseUri}: {e.Message}");
            return Refused;
        }
        catch (ServiceRefused e)
        {
            Console.Error.WriteLine($"ocrctl: the service refused ({(int)e.Status} {e.Status}): {e.Message}");
            return Refused;
        }
    }

    private sealed class ServiceRefused(HttpStatusCode status, string message) : Exception(message)
    {
        public HttpStatusCode Status { get; } = status;
    }

    private static async Task<JsonNode> GetAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(path, cancellationToken);
        return await ReadAsync(response, cancellationToken);
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? node = null;
        try
        {
            node = body.Length > 0 ? JsonNode.Parse(body) : null;
        }
        catch (JsonException)
        {
        }

        if (!response.IsSuccessStatusCode)
        {
            var error = node?["error"]?.GetValue<string>() ?? node?["detail"]?.GetValue<string>()
                ?? (response.StatusCode == HttpStatusCode.Forbidden ? "forbidden: this command needs a token with the admin role" : body);
            throw new ServiceRefused(response.StatusCode, string.IsNullOrWhiteSpace(error) ? response.ReasonPhrase ?? "" : error);
        }

        return node ?? new JsonObject();
    }

    private static int Print(JsonNode node)
    {
        Console.WriteLine(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static async Task<int> StatusAsync(HttpClient client, bool json, CancellationToken ct)
    {
        using var healthResponse = await client.GetAsync("/api/ocr/health/", ct);
        var health = JsonNode.Parse(await healthResponse.Content.ReadAsStringAsync(ct)) ?? new JsonObject();
        var cluster = await GetAsync(client, "/api/ocr/admin/cluster", ct);
        var queue = await GetAsync(client, "/api/ocr/admin/queue", ct);
        if (json)
        {
            return Print(new JsonObject { ["health"] = health.DeepClone(), ["cluster"] = cluster.DeepClone(), ["queue"] = queue.DeepClone() });
        }

        Console.WriteLine($"health: {Text(health["status"])}");
        Table.Write(["check", "status", "detail"], (health["checks"]?.AsObject() ?? []).Select(c => new[] { c.Key, Text(c.Value?["status"]), Text(c.Value?["detail"]) }));
        Console.WriteLine();
        WriteMembers(cluster);
        Console.WriteLine();
        WriteQueue(queue);
        return 0;
    }

    private static async Task<int> ClusterAsync(HttpClient client, bool json, CancellationToken ct)
    {
        var cluster = await GetAsync(client, "/api/ocr/admin/cluster", ct);
        if (json)
        {
            return Print(cluster);
        }

        WriteMembers(cluster);
        if (cluster["shard_regions"] is JsonArray regions)
        {
            Console.WriteLine();
            Table.Write(["node", "shards", "job entities"], regions.Select(r => new[] { Text(r?["node"]), Text(r?["shards"]), Text(r?["entities"]) }));
        }

        return 0;
    }

    private static void WriteMembers(JsonNode cluster)
    {
        var members = cluster["members"]?.AsArray() ?? [];
        Table.Write(["name", "address", "status", "reachable", "roles"], members.Select(m => new[]
        {
            Text(m?["name"]), Text(m?["address"]), Text(m?["status"]), Text(m?["reachable"]),
            string.Join(",", (m?["roles"]?.AsArray() ?? []).Select(Text)),
        }));
        Console.WriteLine($"{members.Count} member(s), leader {Text(cluster["leader"])}, unreachable {(cluster["unreachable"]?.AsArray() ?? []).Count}");
    }

    private static async Task<int> JobsListAsync(HttpClient client, bool json, string? status, string? user, int limit, CancellationToken ct)
    {
        var query = new List<string> { $"limit={limit}" };
        if (status is not null)
        {
            query.Add("status=" + Uri.EscapeDataString(status));
        }

        if (user is not null)
        {
            query.Add("user=" + Uri.EscapeDataString(user));
        }

        var page = await GetAsync(client, "/api/ocr/admin/jobs?" + string.Join("&", query), ct);
        if (json)
        {
            return Print(page);
        }

        var jobs = page["jobs"]?.AsArray() ?? [];
        Table.Write(["job", "user", "status", "pages", "node", "created"], jobs.Select(j => new[]
        {
            Text(j?["job_id"]), Text(j?["user_id"]), Text(j?["status"]),
            $"{Text(j?["pages_done"])}/{Text(j?["page_count"])}", Text(j?["node"]), Text(j?["created_at"]),
        }));
        Console.WriteLine($"{jobs.Count} job(s)");
        return 0;
    }

    private static async Task<int> JobShowAsync(HttpClient client, bool json, string id, CancellationToken ct)
    {
        var job = await GetAsync(client, $"/api/ocr/admin/jobs/{Uri.EscapeDataString(id)}", ct);
        if (json)
        {
            return Print(job);
        }

        Table.Write(["field", "value"], job.AsObject().Select(p => new[] { p.Key, Text(p.Value) }));
        return 0;
    }

    private static async Task<int> QueueAsync(HttpClient client, bool json, CancellationToken ct)
    {
        var queue = await GetAsync(client, "/api/ocr/admin/queue", ct);
        if (json)
        {
            return Print(queue);
        }

        WriteQueue(queue);
        return 0;
    }

    private static void WriteQueue(JsonNode queue) =>
        Table.Write(["node", "running", "slots", "queued", "oldest waiting", "draining"], (queue["nodes"]?.AsArray() ?? []).Select(n => new[]
        {
            Text(n?["node"]), Text(n?["running"]), Text(n?["max_concurrent_jobs"]), Text(n?["queued"]), Text(n?["oldest_waiting_since"]), Text(n?["draining"]),
        }));

    private static async Task<int> EnginesAsync(HttpClient client, bool json, CancellationToken ct)
    {
        var engines = await GetAsync(client, "/api/ocr/admin/engines", ct);
        if (json)
        {
            return Print(engines);
        }

        var t = engines["tesseract"];
        var n = engines["neural"];
        Table.Write(["engine", "model", "size/workers", "busy", "pages read", "pages/s 1m", "pages/s 5m", "provider"],
        [
            ["tesseract", Text(t?["model"]), Text(t?["size"]), Text(t?["busy"]), Text(t?["pages_recognized"]), Text(t?["pages_per_second_1m"]), Text(t?["pages_per_second_5m"]), "cpu"],
            .. n is null ? Array.Empty<string[]>()
                : [["neural", Text(n["model"]), Text(n["workers"]), Text(n["busy"]), Text(n["pages_recognized"]), Text(n["pages_per_second_1m"]), Text(n["pages_per_second_5m"]), Text(n["provider"])]],
        ]);
        return 0;
    }

    private static async Task<int> PostAsync(HttpClient client, bool json, string path, string done, CancellationToken ct)
    {
        using var response = await client.PostAsync(path, null, ct);
        var body = await ReadAsync(response, ct);
        if (json)
        {
            return Print(body);
        }

        Console.WriteLine($"{done}: {body.ToJsonString()}");
        return 0;
    }

    private static string Text(JsonNode? node) => node switch
    {
        null => "-",
        JsonValue value when value.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };
}

/// <summary>Aligned plain-text tables (no colours: the output is for terminals and logs alike).</summary>
internal static class Table
{
    public static void Write(string[] headers, IEnumerable<string[]> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        Console.WriteLine(Line(headers, widths).ToUpperInvariant());
        foreach (var row in all)
        {
            Console.WriteLine(Line(row, widths));
        }
    }

    private static string Line(string[] cells, int[] widths) => string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd();
}
