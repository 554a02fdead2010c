using System.Text.Json.Nodes;
using Ocr.TestSupport;

namespace Ocr.Host.Tests;

/// <summary>ocrctl as an operator runs it, against the running host: tables, --json, exit codes.</summary>
[Collection(SharedHostCollection.Name)]
public sealed class OcrCtlTests(SharedHost shared)
{
    private HostProcess Host => shared.Host;

    private static string AdminToken => Tokens.For("ctl-admin", claims: new Dictionary<string, object> { ["user_id"] = "ctl-admin", ["role"] = "admin" });

    private Task<(int ExitCode, string Output, string Error)> Ctl(string? token, params string[] arguments) =>
        Processes.RunAsync("dotnet", [HostProcess.CtlDll, "--url", Host.BaseAddress.ToString(), .. token is null ? Array.Empty<string>() : ["--token", token], .. arguments],
            timeout: TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Jobs_list_prints_an_aligned_table_or_JSON_and_jobs_show_reads_one()
    {
        using var client = Host.Client("ctl-user");
        var id = await client.SubmitOkAsync("ctl.txt", "for ocrctl"u8.ToArray());
        await client.WaitAsync(id);

        var (code, table, _) = await Ctl(AdminToken, "jobs", "list", "--user", "ctl-user");
        code.ShouldBe(0);
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldStartWith("JOB");
        lines[0].ShouldContain("STATUS");
        lines.ShouldContain(l => l.StartsWith(id) && l.Contains("completed") && l.Contains("ctl-user"));
        lines[0].IndexOf("STATUS", StringComparison.Ordinal).ShouldBe(lines.First(l => l.StartsWith(id)).IndexOf("completed", StringComparison.Ordinal)); // aligned

        var (jsonCode, json, _) = await Ctl(AdminToken, "jobs", "list", "--json");
        jsonCode.ShouldBe(0);
        JsonNode.Parse(json)!["jobs"]!.AsArray().Select(j => j!["job_id"]!.GetValue<string>()).ShouldContain(id);

        var (showCode, shown, _) = await Ctl(AdminToken, "jobs", "show", id, "--json");
        showCode.ShouldBe(0);
        JsonNode.Parse(shown)!["status"]!.GetValue<string>().ShouldBe("completed");
    }

    [Theory]
    [InlineData("status")]
    [InlineData("cluster", "show")]
    [InlineData("queue")]
    [InlineData("engines")]
    public async Task Each_view_answers_as_a_table_and_as_JSON(params string[] command)
    {
        var (code, table, error) = await Ctl(AdminToken, command);
        code.ShouldBe(0, error);
        table.ShouldNotBeNullOrWhiteSpace();
        var (jsonCode, json, _) = await Ctl(AdminToken, [.. command, "--json"]);
        jsonCode.ShouldBe(0);
        JsonNode.Parse(json).ShouldNotBeNull();
    }

    [Fact]
    public async Task A_refusal_exits_1_with_the_services_reason_and_bad_usage_exits_2()
    {
        var (refused, _, why) = await Ctl(Tokens.For("ctl-plain-user"), "jobs", "list");
        refused.ShouldBe(1);
        why.ShouldContain("403");

        var (missing, _, notFound) = await Ctl(AdminToken, "jobs", "show", Guid.NewGuid().ToString());
        missing.ShouldBe(1);
        notFound.ShouldContain("not found");

        (await Ctl(AdminToken, "jobs", "frobnicate")).ExitCode.ShouldBe(2);
        (await Ctl(AdminToken, "node", "drain")).ExitCode.ShouldBe(2);
    }
}
