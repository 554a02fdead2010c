using System.Net;
using System.Text;
using Ocr.TestSupport;

namespace Ocr.Host.Tests;

[Collection(SharedHostCollection.Name)]
public sealed class JobApiTests(SharedHost shared)
{
    private HostProcess Host => shared.Host;

    [Fact]
    public async Task A_text_file_is_accepted_and_returned_unchanged()
    {
        using var client = Host.Client("txt-user");
        const string text = "Patient: Jane Roe\nDOB 1970-01-01\nGlucose 5.4 mmol/L";

        var response = await client.SubmitAsync("note.txt", Encoding.UTF8.GetBytes(text));

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var accepted = await response.JsonAsync();
        accepted["status"].Text().ShouldBe("pending");
        var jobId = accepted["job_id"].Text();
        accepted["websocket_url"].Text().ShouldBe($"/ws/ocr/progress/{jobId}/");
        accepted["status_url"].Text().ShouldBe($"/api/ocr/job/{jobId}/status/");
        accepted["result_url"].Text().ShouldBe($"/api/ocr/job/{jobId}/result/");

        var status = await client.WaitAsync(jobId);
        status["status"].Text().ShouldBe("completed");
        foreach (var field in new[] { "job_id", "status", "progress", "message", "file_name", "file_size", "engine", "created_at", "started_at", "completed_at", "pages_done", "page_count", "error" })
        {
            status.ContainsKey(field).ShouldBeTrue(field);
        }

        status["file_name"].Text().ShouldBe("note.txt");
        status["file_size"]!.GetValue<long>().ShouldBe(Encoding.UTF8.GetByteCount(text));
        var result = await client.ResultAsync(jobId);
        result["extracted_text"].Text().ShouldBe(text);
        result["pages"]!.AsArray()[0]!["source"].Text().ShouldBe("text-file");
        result["page_count"]!.GetValue<int>().ShouldBe(1);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x48, 0x00, 0xE9, 0x00 }, "Hé")]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x48, 0xC3, 0xA9 }, "Hé")]
    [InlineData(new byte[] { 0x48, 0xE9, 0x6C, 0x61 }, "Héla")]
    public async Task Text_encodings_are_detected(byte[] content, string expected)
    {
        using var client = Host.Client("enc-user");
        var jobId = await client.SubmitOkAsync("enc.txt", content);

        (await client.WaitAsync(jobId))["status"].Text().ShouldBe("completed");
        (await client.ResultAsync(jobId))["extracted_text"].Text().ShouldBe(expected);
    }

    [Fact]
    public async Task A_real_scanned_page_is_read_within_a_CER_bound()
    {
        using var client = Host.Client("scan-user");
        const string file = "images/ocrmypdf_linn.png";
        var jobId = await client.SubmitOkAsync("linn.png", await File.ReadAllBytesAsync(EvalCorpus.PathOf(file)));

        (await client.WaitAsync(jobId, TimeSpan.FromMinutes(3)))["status"].Text().ShouldBe("completed");
        var result = await client.ResultAsync(jobId);

        ErrorRate.Cer(EvalCorpus.GroundTruth(file), result["extracted_text"].Text()).ShouldBeLessThan(0.05);
        var confidence = result["confidence_score"]!.GetValue<double>();
        confidence.ShouldBeInRange(0.5, 1.0);
        result["model_used"].Text().ShouldContain("tesseract");
        result["gpu_used"]!.GetValue<bool>().ShouldBeFalse();
        var page = result["pages"]!.AsArray().Single()!;
        page["source"].Text().ShouldBe("ocr");
        page["width"]!.GetValue<int>().ShouldBeGreaterThan(100);
    }

    public static TheoryData<string, byte[], string> Refusals() => new()
    {
        { "evil.exe", "MZ\u0090"u8.ToArray(), "not allowed" },
        { "noextension", "hello"u8.ToArray(), "not allowed" },
        { "empty.png", [], "empty" },
        { "fake.pdf", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0], "does not match" },
        { "binary.txt", [0x00, 0x01, 0x02, 0x03, 0xFF, 0x00, 0x10], "does not match" },
        { "corrupt.png", "not a png at all"u8.ToArray(), "does not match" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Bad_uploads_get_400_with_an_error_message(string fileName, byte[] content, string because)
    {
        using var client = Host.Client("refused-user");

        var response = await client.SubmitAsync(fileName, content);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await response.JsonAsync())["error"].Text().ShouldContain(because);
        (await (await client.GetAsync("/api/ocr/jobs/")).JsonAsync())["count"]!.GetValue<int>().ShouldBe(0);
    }

    [Fact]
    public async Task A_submit_without_a_file_part_is_400()
    {
        using var client = Host.Client("nofile-user");
        using var form = new MultipartFormDataContent { { new StringContent("eng"), "language" } };

        var response = await client.PostAsync("/api/ocr/submit/", form);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.JsonAsync())["error"].Text().ShouldContain("file");
    }

    [Fact]
    public async Task Two_file_parts_are_400()
    {
        using var client = Host.Client("twofiles-user");
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent("a"u8.ToArray()), "file", "a.txt" },
            { new ByteArrayContent("b"u8.ToArray()), "file", "b.txt" },
        };

        (await client.PostAsync("/api/ocr/submit/", form)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_malformed_multipart_body_is_a_400_json_error()
    {
        using var client = Host.Client("malformed-user");
        var content = new StringContent("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nabc", Encoding.ASCII);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");

        var response = await client.PostAsync("/api/ocr/submit/", content);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.JsonAsync())["error"].Text().ShouldNotBeEmpty();
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_413_and_leaves_no_upload_behind()
    {
        using var client = Host.Client("big-user");
        // Content no other test uploads, so a leaked partial upload is recognisable among other jobs' files.
        var marker = "413-marker-" + Guid.NewGuid().ToString("N");
        var content = Encoding.ASCII.GetBytes(marker + new string('x', 3 * 1024 * 1024));

        var response = await client.SubmitAsync("big.txt", content);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        (await response.JsonAsync())["error"].Text().ShouldContain("1 MB");
        var leaked = Directory.GetFiles(Path.Combine(Host.DataDirectory, "uploads")).Where(f => StartsWith(f, marker)).ToList();
        leaked.ShouldBeEmpty();
    }

    private static bool StartsWith(string file, string marker)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var head = new byte[marker.Length];
            return stream.Read(head, 0, head.Length) == head.Length && Encoding.ASCII.GetString(head) == marker;
        }
        catch (IOException)
        {
            return false; // removed meanwhile by its own job's cleanup
        }
    }

    [Theory]
    [InlineData("engine", "quantum")]
    [InlineData("language", "klingon")]
    [InlineData("dpi", "5")]
    [InlineData("pages", "3-1")]
    [InlineData("rotate", "sideways")]
    public async Task Bad_optional_fields_are_400(string field, string value)
    {
        using var client = Host.Client("fields-user");

        var response = await client.SubmitAsync("a.txt", "hello"u8.ToArray(), new Dictionary<string, string> { [field] = value });

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_path_traversal_file_name_is_only_a_display_name()
    {
        using var client = Host.Client("traversal-user");
        var marker = $"akkaocr-traversal-{Guid.NewGuid():N}.txt";

        var jobId = await client.SubmitOkAsync("../../../../../../../../tmp/" + marker, "probe"u8.ToArray());

        (await client.WaitAsync(jobId))["status"].Text().ShouldBe("completed");
        File.Exists("/tmp/" + marker).ShouldBeFalse();
        (await client.StatusAsync(jobId))["file_name"].Text().ShouldEndWith(marker);
    }

    [Fact]
    public async Task Another_users_job_is_403_and_an_unknown_job_is_404()
    {
        using var owner = Host.Client("owner-user");
        using var other = Host.Client("other-user");
        var jobId = await owner.SubmitOkAsync("mine.txt", "private"u8.ToArray());
        await owner.WaitAsync(jobId);

        (await other.GetAsync($"/api/ocr/job/{jobId}/status/")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await other.GetAsync($"/api/ocr/job/{jobId}/result/")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await other.PostAsync($"/api/ocr/job/{jobId}/cancel/", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var missing = Guid.NewGuid();
        foreach (var response in new[]
                 {
                     await owner.GetAsync($"/api/ocr/job/{missing}/status/"),
                     await owner.GetAsync($"/api/ocr/job/{missing}/result/"),
                     await owner.PostAsync($"/api/ocr/job/{missing}/cancel/", null),
                 })
        {
            response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await response.JsonAsync())["error"].Text().ShouldContain("not found");
        }
    }

    [Fact]
    public async Task Cancelling_a_finished_job_is_400_and_changes_nothing()
    {
        using var client = Host.Client("cancel-done-user");
        var jobId = await client.SubmitOkAsync("done.txt", "done"u8.ToArray());
        await client.WaitAsync(jobId);

        var response = await client.PostAsync($"/api/ocr/job/{jobId}/cancel", null);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await client.StatusAsync(jobId))["status"].Text().ShouldBe("completed");
    }

    [Fact]
    public async Task Deleting_a_job_answers_204_and_leaves_no_status_result_history_upload_or_count()
    {
        using var owner = Host.Client("delete-user");
        using var other = Host.Client("delete-other-user");
        var kept = await owner.SubmitOkAsync("kept.txt", "kept"u8.ToArray());
        var doomed = await owner.SubmitOkAsync("doomed.txt", "delete me"u8.ToArray());
        await owner.WaitAsync(kept);
        await owner.WaitAsync(doomed);

        (await other.DeleteAsync($"/api/ocr/job/{doomed}/")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var response = await owner.DeleteAsync($"/api/ocr/job/{doomed}/");

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await owner.GetAsync($"/api/ocr/job/{doomed}/status/")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await owner.GetAsync($"/api/ocr/job/{doomed}/result/")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await owner.DeleteAsync($"/api/ocr/job/{doomed}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        File.Exists(Path.Combine(Host.DataDirectory, "uploads", doomed + ".upload")).ShouldBeFalse();
        var history = await (await owner.GetAsync("/api/ocr/jobs/?limit=100")).JsonAsync();
        history["jobs"]!.AsArray().Select(j => j!["job_id"].Text()).ShouldBe([kept]);
        (await owner.StatusAsync(kept))["status"].Text().ShouldBe("completed");
    }

    [Fact]
    public async Task History_is_newest_first_limited_and_only_the_callers()
    {
        using var client = Host.Client("history-user");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await client.SubmitOkAsync($"h{i}.txt", Encoding.ASCII.GetBytes($"h{i}")));
        }

        var page = await (await client.GetAsync("/api/ocr/jobs?limit=2")).JsonAsync();
        page["count"]!.GetValue<int>().ShouldBe(2);
        page["jobs"]!.AsArray().Select(j => j!["job_id"].Text()).ShouldBe([ids[2], ids[1]]);
        (await (await client.GetAsync("/api/ocr/jobs/")).JsonAsync())["count"]!.GetValue<int>().ShouldBe(3);
        using var stranger = Host.Client("history-stranger");
        (await (await stranger.GetAsync("/api/ocr/jobs/")).JsonAsync())["jobs"]!.AsArray().Count.ShouldBe(0);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("-1")]
    public async Task A_bad_history_limit_is_400(string limit)
    {
        using var client = Host.Client("limit-user");

        (await client.GetAsync($"/api/ocr/jobs/?limit={limit}")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Stats_and_system_report_real_figures()
    {
        using var client = Host.Client("stats-user");
        var jobId = await client.SubmitOkAsync("s.txt", "s"u8.ToArray());
        await client.WaitAsync(jobId);

        var stats = await (await client.GetAsync("/api/ocr/stats/")).JsonAsync();
        stats["completed_jobs"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(1);
        stats["max_concurrent_jobs"]!.GetValue<int>().ShouldBe(3);
        stats["engines"]!.GetValue<int>().ShouldBe(Environment.ProcessorCount);

        var system = await (await client.GetAsync("/api/ocr/system/")).JsonAsync();
        system["gpu_status"]!["gpu_available"]!.GetValue<bool>().ShouldBeFalse();
        system["gpu_status"]!["reason"].Text().ShouldNotBeEmpty();
        system["engines"]!.AsArray()[0]!["version"].Text().ShouldStartWith("5.");
        system["node"]!["pid"]!.GetValue<int>().ShouldBe(Host.ProcessId!.Value);
    }

    [Fact]
    public async Task The_upload_is_deleted_after_the_cleanup_delay()
    {
        using var client = Host.Client("cleanup-user");
        var jobId = await client.SubmitOkAsync("c.txt", "clean me"u8.ToArray());
        await client.WaitAsync(jobId);
        var upload = Path.Combine(Host.DataDirectory, "uploads", jobId + ".upload");

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (File.Exists(upload) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        File.Exists(upload).ShouldBeFalse();
        (await client.ResultAsync(jobId))["extracted_text"].Text().ShouldBe("clean me");
    }

    [Fact]
    public async Task The_OpenAPI_document_and_the_API_page_are_served()
    {
        using var client = Host.Client(user: null);

        var document = await client.GetStringAsync("/openapi/v1.json");
        document.ShouldContain("/api/ocr/submit");
        (await client.GetAsync("/docs")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
