using System.Diagnostics;
using Ocr.TestSupport;

namespace Ocr.Host.Tests;

public sealed class StartupTests
{
    private static async Task<(int ExitCode, string Output)> RunHost(Dictionary<string, string?> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(HostProcess.HostDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("JWT_SECRET_KEY");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>A valid key, a throwaway data folder, any port, and one setting under test.</summary>
    private static Dictionary<string, string?> WithKey(string name, string value) => new()
    {
        ["JWT_SECRET_KEY"] = HostProcess.Secret,
        ["OCR_DATA_DIR"] = Path.Combine(Path.GetTempPath(), "akkaocr-bad-" + Guid.NewGuid().ToString("N")),
        ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        [name] = value,
    };

    [Fact]
    public async Task Without_JWT_SECRET_KEY_the_host_refuses_to_start_and_names_the_setting()
    {
        var data = Path.Combine(Path.GetTempPath(), "akkaocr-nokey-" + Guid.NewGuid().ToString("N"));

        var (exitCode, output) = await RunHost(new() { ["OCR_DATA_DIR"] = data, ["ASPNETCORE_URLS"] = "http://127.0.0.1:0" });

        exitCode.ShouldNotBe(0);
        output.ShouldContain("JWT_SECRET_KEY");
    }

    [Theory]
    [InlineData("OCR_MAX_CONCURRENT_JOBS", "0")]
    [InlineData("OCR_PDF_FORMAT", "GIF")]
    [InlineData("JWT_ALGORITHM", "RS256")]
    [InlineData("OCR_ALLOWED_EXTENSIONS", ".exe,.png")]
    [InlineData("REDIS_URL", "redis://")]
    [InlineData("OCR_CLUSTER_SEEDS", "node-a:notaport")]
    [InlineData("OCR_REDIS_PREFIX", "has spaces")]
    [InlineData("OCR_MALLOC_HUGE_PAGES", "maybe")]
    public async Task A_bad_setting_stops_start_up_with_a_message(string name, string value)
    {
        var (exitCode, output) = await RunHost(WithKey(name, value));

        exitCode.ShouldNotBe(0);
        output.ShouldContain("Configuration error");
    }

    [Fact]
    public async Task A_node_on_a_Redis_that_could_lose_jobs_says_so_at_start_up_and_still_serves()
    {
        await using var redis = new RedisServer(appendOnly: false);
        await redis.InitializeAsync();
        await using var node = new HostProcess(new Dictionary<string, string>
        {
            ["REDIS_URL"] = redis.Url,
            ["OCR_CLUSTER_HOST"] = "127.0.0.1",
            ["OCR_CLUSTER_PORT"] = HostProcess.FreePort().ToString(),
            ["OCR_UPLOADS_DIR"] = Path.Combine(Path.GetTempPath(), "akkaocr-aof-uploads-" + Guid.NewGuid().ToString("N")),
        });

        await node.StartAsync(TimeSpan.FromSeconds(120));
        using var client = node.Client();
        var id = await client.SubmitOkAsync("note.txt", "kept in Redis"u8.ToArray());

        (await client.WaitAsync(id))["status"].Text().ShouldBe("completed");
        await RetryAsync(() => node.Log.ShouldContain("the append-only file is off"));
    }

    private static async Task RetryAsync(Action assertion)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                assertion();
                return;
            }
            catch (ShouldAssertException) when (attempt < 50)
            {
                await Task.Delay(200);
            }
        }
    }

    [Fact]
    public async Task The_token_command_mints_a_token_the_service_accepts()
    {
        var (exitCode, output) = await RunHost(new() { ["JWT_SECRET_KEY"] = HostProcess.Secret }, "token", "--user", "carol");
        exitCode.ShouldBe(0);
        await using var host = new HostProcess();
        await host.StartAsync();
        using var client = host.Client(user: null);
        client.DefaultRequestHeaders.Authorization = new("Bearer", output.Trim());

        (await client.GetAsync("/api/ocr/jobs/")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
    }

    [Fact]
    public async Task Missing_model_files_stop_start_up_with_a_clear_message()
    {
        var empty = Directory.CreateTempSubdirectory("akkaocr-nomodels-").FullName;
        var (exitCode, output) = await RunHost(WithKey("OCR_MODELS_DIR", empty));

        exitCode.ShouldNotBe(0);
        output.ShouldContain("Configuration error: model set 'ppocr-v4' not found");
    }

    [Fact]
    public async Task A_damaged_model_file_stops_start_up_naming_the_file()
    {
        var root = Directory.CreateTempSubdirectory("akkaocr-badmodels-").FullName;
        var folder = Directory.CreateDirectory(Path.Combine(root, "ppocr-v4")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(Repository.Models, "ppocr-v4")))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        await File.AppendAllTextAsync(Path.Combine(folder, "keys.txt"), "extra\n");
        var (exitCode, output) = await RunHost(WithKey("OCR_MODELS_DIR", root));

        exitCode.ShouldNotBe(0);
        output.ShouldContain("keys.txt has sha256");
    }

    [Fact]
    public async Task The_gpu_command_reports_detection_and_the_provider_choice_without_a_key()
    {
        var (exitCode, output) = await RunHost(new(), "gpu", "--probe", Path.Combine(Repository.Models, "ppocr-v4"));

        exitCode.ShouldBe(0);
        var report = System.Text.Json.Nodes.JsonNode.Parse(output)!;
        report["gpu"]!["Reason"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
        report["onnxruntime_providers"]!.AsArray().Select(p => p!.GetValue<string>()).ShouldContain("CPUExecutionProvider");
        report["chosen"]!["Provider"]!.GetValue<string>().ShouldBe("CPUExecutionProvider");
        report["probe"]!["recognition_16x3x48x640"]!["run_ms"]!.AsArray().Count.ShouldBe(5);
    }
}
