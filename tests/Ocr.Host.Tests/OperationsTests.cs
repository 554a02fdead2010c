using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Ocr.TestSupport;

namespace Ocr.Host.Tests;

/// <summary>Admin endpoints and /metrics against a running host.</summary>
[Collection(SharedHostCollection.Name)]
public sealed partial class OperationsTests(SharedHost shared)
{
    private HostProcess Host => shared.Host;

    private HttpClient Admin(string? role = "admin", bool asArray = false)
    {
        var claims = new Dictionary<string, object> { ["user_id"] = "ops-admin" };
        if (role is not null)
        {
            claims[asArray ? "roles" : "role"] = asArray ? new[] { "reader", role } : role;
        }

        var client = Host.Client(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.For("ops-admin", claims: claims));
        return client;
    }

    [Theory]
    [InlineData("/api/ocr/admin/jobs")]
    [InlineData("/api/ocr/admin/queue")]
    [InlineData("/api/ocr/admin/engines")]
    [InlineData("/api/ocr/admin/cluster")]
    public async Task Admin_views_are_401_without_a_token_403_for_a_user_and_200_for_an_admin_by_role_or_roles(string path)
    {
        (await Host.Client(null).GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Host.Client("plain-user").GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await Admin(role: "reader").GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await Admin().GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Admin(asArray: true).GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_admin_lists_and_filters_any_users_jobs_reads_one_and_cancels_another_users_job()
    {
        using var carol = Host.Client("ops-carol");
        using var dave = Host.Client("ops-dave");
        var c = await carol.SubmitOkAsync("c.txt", "carol's note"u8.ToArray());
        var d = await dave.SubmitOkAsync("d.txt", "dave's note"u8.ToArray());
        await carol.WaitAsync(c);
        await dave.WaitAsync(d);
        using var admin = Admin();

        var all = await (await admin.GetAsync("/api/ocr/admin/jobs?limit=500")).JsonAsync();
        var ids = all["jobs"]!.AsArray().Select(j => j!["job_id"].Text()).ToList();
        ids.ShouldContain(c);
        ids.ShouldContain(d);
        var onlyCarol = await (await admin.GetAsync("/api/ocr/admin/jobs?user=ops-carol&status=completed")).JsonAsync();
        onlyCarol["jobs"]!.AsArray().Select(j => j!["job_id"].Text()).ShouldBe([c]);
        onlyCarol["jobs"]![0]!["user_id"].Text().ShouldBe("ops-carol");
        (await admin.GetAsync("/api/ocr/admin/jobs?status=weird")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var one = await (await admin.GetAsync($"/api/ocr/admin/jobs/{d}")).JsonAsync();
        one["status"].Text().ShouldBe("completed");
        one["user_id"].Text().ShouldBe("ops-dave");

        var pdf = await File.ReadAllBytesAsync(EvalCorpus.PathOf("pdfs/ocrmypdf_cardinal.pdf"));
        var longJob = await dave.SubmitOkAsync("long.pdf", pdf, new Dictionary<string, string> { ["dpi"] = "400" });
        (await carol.PostAsync($"/api/ocr/job/{longJob}/cancel/", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await admin.PostAsync($"/api/ocr/admin/jobs/{longJob}/cancel", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await dave.WaitAsync(longJob))["status"].Text().ShouldBe("cancelled");
    }

    [Fact]
    public async Task The_queue_engines_and_cluster_views_describe_this_node()
    {
        using var admin = Admin();

        var queue = await (await admin.GetAsync("/api/ocr/admin/queue")).JsonAsync();
        queue["nodes"]!.AsArray().Count.ShouldBe(1);
        queue["nodes"]![0]!["max_concurrent_jobs"]!.GetValue<int>().ShouldBe(3);
        var engines = await (await admin.GetAsync("/api/ocr/admin/engines")).JsonAsync();
        engines["tesseract"]!["size"]!.GetValue<int>().ShouldBeGreaterThan(0);
        engines["tesseract"]!["pages_per_second_1m"]!.GetValue<double>().ShouldBeGreaterThanOrEqualTo(0);
        var cluster = await (await admin.GetAsync("/api/ocr/admin/cluster")).JsonAsync();
        cluster["members"]!.AsArray().Single()!["status"].Text().ShouldBe("Up");
        cluster["shard_regions"]!.AsArray().Count.ShouldBe(1);
        (await admin.PostAsync("/api/ocr/admin/nodes/no-such-node/drain", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Metrics_rise_by_what_a_job_did_and_no_label_names_a_job_or_a_user()
    {
        var before = await ScrapeAsync();
        using var client = Host.Client("metrics-user-5150");
        var id = await client.SubmitOkAsync("phototest.tif", await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/tess_phototest.tif")));
        await client.WaitAsync(id);

        // The exporter caches a scrape for a moment: read again until the job shows (bounded).
        var (text, after) = await ScrapeWithTextAsync();
        for (var attempt = 0; attempt < 20 && Sum(after, "ocr_jobs_submitted_total") <= Sum(before, "ocr_jobs_submitted_total"); attempt++)
        {
            await Task.Delay(250);
            (text, after) = await ScrapeWithTextAsync();
        }

        (Sum(after, "ocr_jobs_submitted_total") - Sum(before, "ocr_jobs_submitted_total")).ShouldBeGreaterThanOrEqualTo(1);
        (Sum(after, "ocr_jobs_finished_total", "status=\"completed\"") - Sum(before, "ocr_jobs_finished_total", "status=\"completed\"")).ShouldBeGreaterThanOrEqualTo(1);
        (Sum(after, "ocr_pages_total") - Sum(before, "ocr_pages_total")).ShouldBeGreaterThanOrEqualTo(1);
        (Sum(after, "ocr_page_duration_seconds_count") - Sum(before, "ocr_page_duration_seconds_count")).ShouldBeGreaterThanOrEqualTo(1);
        after.Keys.ShouldContain(k => k.StartsWith("ocr_jobs_running"));
        after.Keys.ShouldContain(k => k.StartsWith("ocr_jobs_queued"));
        after.Keys.ShouldContain(k => k.StartsWith("ocr_job_duration_seconds_bucket"));
        after.Keys.ShouldContain(k => k.StartsWith("ocr_cluster_members") && k.Contains("status=\"Up\""));
        text.ShouldNotContain(id);
        text.ShouldNotContain("metrics-user-5150");
    }

    [Fact]
    public async Task Every_series_the_Grafana_dashboard_charts_is_exported()
    {
        var dashboard = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "ops", "grafana", "akkaocr-dashboard.json"));
        var charted = SeriesName().Matches(dashboard).Select(m => m.Value).Distinct().ToList();
        var (text, _) = await ScrapeWithTextAsync();

        charted.Count.ShouldBeGreaterThanOrEqualTo(8);
        charted.Where(name => !text.Contains(name + "{") && !text.Contains(name + " ")).ShouldBeEmpty();
    }

    [GeneratedRegex(@"ocr_[a-z_]+")]
    private static partial Regex SeriesName();

    private async Task<Dictionary<string, double>> ScrapeAsync() => (await ScrapeWithTextAsync()).Series;

    private async Task<(string Text, Dictionary<string, double> Series)> ScrapeWithTextAsync()
    {
        var response = await Host.Client(null).GetAsync("/metrics");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        var text = await response.Content.ReadAsStringAsync();
        var series = new Dictionary<string, double>();
        foreach (var line in text.Split('\n'))
        {
            if (Sample().Match(line) is { Success: true } m)
            {
                series[m.Groups[1].Value + m.Groups[2].Value] = double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            }
        }

        return (text, series);
    }

    private static double Sum(Dictionary<string, double> series, string name, string label = "") =>
        series.Where(s => (s.Key == name || s.Key.StartsWith(name + "{")) && s.Key.Contains(label)).Sum(s => s.Value);

    [GeneratedRegex(@"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+([-+\d.eE]+)")]
    private static partial Regex Sample();
}
