using System.Text.Json;
using Ocr.TestSupport;

namespace Ocr.Host.Tests;

public sealed class LoggingTests
{
    [Fact]
    public async Task Json_logs_carry_the_job_id_as_a_property_and_never_the_file_name()
    {
        await using var host = new HostProcess(new Dictionary<string, string> { ["OCR_LOG_FORMAT"] = "json" });
        await host.StartAsync();
        using var client = host.Client();
        var id = await client.SubmitOkAsync("Jane-Doe-lab-report.tif", await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/tess_phototest.tif")));
        await client.WaitAsync(id);
        await Task.Delay(500);

        var events = host.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToList();
        var aboutTheJob = events.Where(e => e.GetProperty("@m").GetString()!.Contains(id)).ToList();

        aboutTheJob.Count.ShouldBeGreaterThanOrEqualTo(3); // accepted, processing, completed at least
        aboutTheJob.Select(JobIdOf).ShouldAllBe(jobId => jobId == id);
        host.Log.ShouldNotContain("Jane-Doe");
    }

    private static string? JobIdOf(JsonElement logEvent) => logEvent.TryGetProperty("JobId", out var jobId) ? jobId.ToString() : null;
}
