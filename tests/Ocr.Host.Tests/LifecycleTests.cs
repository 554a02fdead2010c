using System.Net;
using System.Text;
using Ocr.TestSupport;

namespace Ocr.Host.Tests;

/// <summary>Cancel, timeout, restart and crash recovery, each on a host of its own.</summary>
public sealed class LifecycleTests
{
    private static readonly string LongPdf = EvalCorpus.PathOf("pdfs/ocrmypdf_cardinal.pdf");

    [Fact]
    public async Task Cancelling_a_pending_job_takes_it_out_of_the_queue()
    {
        await using var host = new HostProcess(new Dictionary<string, string> { ["OCR_MAX_CONCURRENT_JOBS"] = "1" });
        await host.StartAsync();
        using var client = host.Client();
        var running = await client.SubmitOkAsync("long.pdf", await File.ReadAllBytesAsync(LongPdf));
        var pending = await client.SubmitOkAsync("queued.txt", "queued"u8.ToArray());
        (await client.StatusAsync(pending))["status"].Text().ShouldBe("pending");

        var response = await client.PostAsync($"/api/ocr/job/{pending}/cancel/", null);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await response.JsonAsync();
        body["status"].Text().ShouldBe("cancelled");
        body["job_id"].Text().ShouldBe(pending);
        (await client.StatusAsync(pending))["status"].Text().ShouldBe("cancelled");
        (await client.GetAsync($"/api/ocr/job/{pending}/result/")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await client.PostAsync($"/api/ocr/job/{running}/cancel/", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Cancelling_a_processing_job_stops_poppler_and_the_engines_within_a_second()
    {
        await using var host = new HostProcess();
        await host.StartAsync();
        using var client = host.Client();
        var jobId = await client.SubmitOkAsync("long.pdf", await File.ReadAllBytesAsync(LongPdf));
        await client.WaitAsync(jobId, TimeSpan.FromSeconds(60), until: s => s["status"].Text() == "processing");

        var response = await client.PostAsync($"/api/ocr/job/{jobId}/cancel/", null);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.StatusAsync(jobId))["status"].Text().ShouldBe("cancelled");
        await Task.Delay(1000);
        ProcessProbe.Descendants(host.ProcessId!.Value).Where(p => p.Name.StartsWith("pdf")).ShouldBeEmpty();
        var stats = await (await client.GetAsync("/api/ocr/stats/")).JsonAsync();
        stats["engines_busy"]!.GetValue<int>().ShouldBe(0);
        stats["processing_jobs"]!.GetValue<int>().ShouldBe(0);
        (await client.StatusAsync(jobId))["status"].Text().ShouldBe("cancelled");
    }

    [Fact]
    public async Task A_one_page_job_submitted_after_a_long_PDF_finishes_first()
    {
        await using var host = new HostProcess();
        await host.StartAsync();
        using var client = host.Client();
        var longJob = await client.SubmitOkAsync("long.pdf", await File.ReadAllBytesAsync(LongPdf));
        await client.WaitAsync(longJob, TimeSpan.FromSeconds(60), until: s => s["status"].Text() == "processing");

        var shortJob = await client.SubmitOkAsync("page.tif", await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/tess_phototest.tif")));
        var shortDone = await client.WaitAsync(shortJob, TimeSpan.FromMinutes(2));
        var longDone = await client.WaitAsync(longJob, TimeSpan.FromMinutes(5));

        shortDone["status"].Text().ShouldBe("completed");
        longDone["status"].Text().ShouldBe("completed");
        // Whatever the machine's speed: the page submitted second finished first.
        DateTimeOffset.Parse(shortDone["completed_at"].Text()).ShouldBeLessThan(DateTimeOffset.Parse(longDone["completed_at"].Text()));
    }

    [Fact]
    public async Task The_pages_and_dpi_fields_select_and_render_only_those_pages()
    {
        await using var host = new HostProcess();
        await host.StartAsync();
        using var client = host.Client();

        var jobId = await client.SubmitOkAsync("cardinal.pdf", await File.ReadAllBytesAsync(LongPdf), new Dictionary<string, string> { ["pages"] = "3", ["dpi"] = "200" });
        (await client.WaitAsync(jobId, TimeSpan.FromMinutes(2)))["status"].Text().ShouldBe("completed");
        var result = await client.ResultAsync(jobId);

        var page = result["pages"]!.AsArray().Single()!;
        page["page_number"]!.GetValue<int>().ShouldBe(3);
        page["rotation"]!.GetValue<int>().ShouldBe(180);
        page["width"]!.GetValue<int>().ShouldBeLessThan(2000);
        ErrorRate.Cer(EvalCorpus.GroundTruth("images/ocrmypdf_linn.png"), page["text"].Text()).ShouldBeLessThan(0.1);
    }

    [Fact]
    public async Task A_job_over_the_timeout_fails_with_an_error_that_says_so()
    {
        await using var host = new HostProcess(new Dictionary<string, string> { ["OCR_JOB_TIMEOUT"] = "2" });
        await host.StartAsync();
        using var client = host.Client();

        var jobId = await client.SubmitOkAsync("long.pdf", await File.ReadAllBytesAsync(LongPdf));
        var status = await client.WaitAsync(jobId, TimeSpan.FromSeconds(60));

        status["status"].Text().ShouldBe("failed");
        status["error"].Text().ShouldContain("timed out");
        (await client.GetAsync("/api/ocr/health/")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Finished_and_pending_jobs_survive_a_clean_restart()
    {
        var data = Path.Combine(Path.GetTempPath(), "akkaocr-restart-" + Guid.NewGuid().ToString("N"));
        string done, queued;
        await using (var first = new HostProcess(new Dictionary<string, string> { ["OCR_MAX_CONCURRENT_JOBS"] = "1" }, data))
        {
            await first.StartAsync();
            using var client = first.Client();
            done = await client.SubmitOkAsync("done.txt", "survives a restart"u8.ToArray());
            await client.WaitAsync(done);
            await client.SubmitOkAsync("long.pdf", await File.ReadAllBytesAsync(LongPdf));
            queued = await client.SubmitOkAsync("queued.txt", "queued before the restart"u8.ToArray());
            await first.StopAsync();
            first.ExitCode.ShouldBe(0);
        }

        await using var second = new HostProcess(dataDirectory: data);
        await second.StartAsync();
        using var again = second.Client();
        (await again.ResultAsync(done))["extracted_text"].Text().ShouldBe("survives a restart");
        (await again.WaitAsync(queued, TimeSpan.FromMinutes(3)))["status"].Text().ShouldBe("completed");
        (await again.ResultAsync(queued))["extracted_text"].Text().ShouldBe("queued before the restart");
    }

    [Fact]
    public async Task Deleted_and_expired_jobs_leave_history_and_stats_consistent_across_a_SIGKILL()
    {
        var data = Path.Combine(Path.GetTempPath(), "akkaocr-retention-" + Guid.NewGuid().ToString("N"));
        // 0.0001 days is 8.6 s: long enough to see the job before retention takes it.
        var settings = new Dictionary<string, string> { ["OCR_RESULT_RETENTION_DAYS"] = "0.0001", ["OCR_CLEANUP_DELAY"] = "0" };
        await using (var first = new HostProcess(settings, data))
        {
            await first.StartAsync();
            using var client = first.Client("retention-user");
            var deleted = await client.SubmitOkAsync("a.txt", "deleted by its owner"u8.ToArray());
            var expiring = await client.SubmitOkAsync("b.txt", "deleted by retention"u8.ToArray());
            await client.WaitAsync(deleted);
            await client.WaitAsync(expiring);
            (await client.DeleteAsync($"/api/ocr/job/{deleted}/")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

            var stats = await (await client.GetAsync("/api/ocr/stats/")).JsonAsync();
            stats["total_jobs"]!.GetValue<long>().ShouldBe(1);
            stats["completed_jobs"]!.GetValue<long>().ShouldBe(1);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await client.GetAsync($"/api/ocr/job/{expiring}/status/")).StatusCode == HttpStatusCode.OK && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }

            (await client.GetAsync($"/api/ocr/job/{expiring}/status/")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
            first.Log.ShouldNotContain("b.txt"); // file names stay out of the log by default
            await first.KillAsync();
        }

        await using var second = new HostProcess(settings, data);
        await second.StartAsync();
        using var again = second.Client("retention-user");
        var history = await (await again.GetAsync("/api/ocr/jobs/?limit=100")).JsonAsync();
        history["count"]!.GetValue<int>().ShouldBe(0);
        var after = await (await again.GetAsync("/api/ocr/stats/")).JsonAsync();
        after["total_jobs"]!.GetValue<long>().ShouldBe(0);
        after["completed_jobs"]!.GetValue<long>().ShouldBe(0);
        Directory.GetFiles(Path.Combine(data, "uploads")).ShouldBeEmpty();
    }

    [Fact]
    public async Task After_SIGKILL_an_interrupted_PDF_resumes_without_redoing_finished_pages()
    {
        var data = Path.Combine(Path.GetTempPath(), "akkaocr-kill-" + Guid.NewGuid().ToString("N"));
        string jobId;
        await using (var first = new HostProcess(dataDirectory: data))
        {
            await first.StartAsync();
            using var client = first.Client();
            jobId = await client.SubmitOkAsync("cardinal.pdf", await File.ReadAllBytesAsync(LongPdf));
            await client.WaitAsync(jobId, TimeSpan.FromMinutes(2), until: s => s["pages_done"]!.GetValue<int>() >= 1);
            await first.KillAsync();
        }

        await using var second = new HostProcess(dataDirectory: data);
        await second.StartAsync();
        using var again = second.Client();
        var status = await again.WaitAsync(jobId, TimeSpan.FromMinutes(3));

        status["status"].Text().ShouldBe("completed");
        var result = await again.ResultAsync(jobId);
        result["page_count"]!.GetValue<int>().ShouldBe(4);
        result["pages"]!.AsArray().Select(p => p!["page_number"]!.GetValue<int>()).ShouldBe([1, 2, 3, 4]);
        var resumed = System.Text.RegularExpressions.Regex.Match(second.Log, @"(\d+) of 4 page\(s\) to do");
        resumed.Success.ShouldBeTrue(second.Log);
        int.Parse(resumed.Groups[1].Value).ShouldBeLessThan(4);
        ErrorRate.Cer(EvalCorpus.GroundTruth("pdfs/ocrmypdf_cardinal.pdf"), result["extracted_text"].Text()).ShouldBeLessThan(0.10);
    }

    [Fact]
    public async Task Two_hundred_concurrent_submits_get_202_or_503_with_Retry_After_and_every_accepted_job_completes()
    {
        await using var host = new HostProcess(new Dictionary<string, string> { ["OCR_MAX_QUEUED_JOBS"] = "40" });
        await host.StartAsync();
        using var client = host.Client("crowd");

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => client.SubmitAsync($"n{i}.txt", Encoding.ASCII.GetBytes($"note {i}"))));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Accepted || r.StatusCode == HttpStatusCode.ServiceUnavailable);
        responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ShouldAllBe(r => r.Headers.RetryAfter != null);
        var accepted = new List<(string Id, string Text)>();
        for (var i = 0; i < responses.Length; i++)
        {
            if (responses[i].StatusCode == HttpStatusCode.Accepted)
            {
                accepted.Add(((await responses[i].JsonAsync())["job_id"].Text(), $"note {i}"));
            }
        }

        accepted.ShouldNotBeEmpty();
        foreach (var (id, text) in accepted)
        {
            (await client.WaitAsync(id, TimeSpan.FromMinutes(2)))["status"].Text().ShouldBe("completed");
            (await client.ResultAsync(id))["extracted_text"].Text().ShouldBe(text);
        }
    }
}
