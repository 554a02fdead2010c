using System.Net;
using System.Text;
using Ocr.TestSupport;

namespace Ocr.Host.Tests;

/// <summary>?format= on the result endpoint and the page image, against the running host.</summary>
[Collection(SharedHostCollection.Name)]
public sealed class ResultFormatApiTests(SharedHost shared)
{
    [Fact]
    public async Task A_scanned_page_answers_every_format_with_its_media_type_and_its_page_image()
    {
        using var client = shared.Host.Client("formats-user");
        var jobId = await client.SubmitOkAsync("phototest.tif", await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/tess_phototest.tif")));
        (await client.WaitAsync(jobId, TimeSpan.FromMinutes(3)))["status"].Text().ShouldBe("completed");
        var result = await client.ResultAsync(jobId);
        var page = result["pages"]!.AsArray().Single()!;
        var words = page["words"]!.AsArray();
        words.Count.ShouldBeGreaterThan(20);
        words[0]!["box"]!.AsArray().Count.ShouldBe(4);
        page["lines"]!.AsArray().Count.ShouldBeGreaterThan(3);
        page["quality"]!["verdict"].Text().ShouldNotBeEmpty();

        foreach (var (format, mediaType, start) in new[]
        {
            ("txt", "text/plain", "This is a lot"), ("hocr", "text/html", "<?xml"), ("alto", "application/xml", "<?xml"),
            ("md", "text/markdown", ""), ("pdf", "application/pdf", "%PDF-"),
        })
        {
            var response = await client.GetAsync($"/api/ocr/job/{jobId}/result/?format={format}");
            response.StatusCode.ShouldBe(HttpStatusCode.OK, format);
            response.Content.Headers.ContentType!.MediaType.ShouldBe(mediaType, format);
            Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()).ShouldStartWith(start, customMessage: format);
        }

        (await client.GetStringAsync($"/api/ocr/job/{jobId}/result/?format=txt")).ShouldBe(result["extracted_text"].Text());
        var image = await client.GetAsync($"/api/ocr/job/{jobId}/page/1/image/");
        image.StatusCode.ShouldBe(HttpStatusCode.OK);
        image.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
        (await image.Content.ReadAsByteArrayAsync()).Take(4).ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47 });
        (await client.GetAsync($"/api/ocr/job/{jobId}/page/2/image/")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var unknown = await client.GetAsync($"/api/ocr/job/{jobId}/result/?format=docx");
        unknown.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await unknown.Content.ReadAsStringAsync()).ShouldContain("json, txt, hocr, alto, pdf, md");
        using var stranger = shared.Host.Client("formats-stranger");
        (await stranger.GetAsync($"/api/ocr/job/{jobId}/result/?format=pdf")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_searchable_pdf_of_a_pdf_job_holds_the_pages_it_read_in_their_order()
    {
        using var client = shared.Host.Client("formats-pdf-user");
        var jobId = await client.SubmitOkAsync("cardinal.pdf", await File.ReadAllBytesAsync(EvalCorpus.PathOf("pdfs/ocrmypdf_cardinal.pdf")),
            new Dictionary<string, string> { ["pages"] = "2-3", ["dpi"] = "100" });
        (await client.WaitAsync(jobId, TimeSpan.FromMinutes(3)))["status"].Text().ShouldBe("completed");
        var pages = (await client.ResultAsync(jobId))["pages"]!.AsArray();
        pages.Select(p => p!["page_number"]!.GetValue<int>()).ShouldBe([2, 3]);
        pages.ShouldAllBe(p => p!["dpi"]!.GetValue<int>() == 100);

        var pdf = Path.Combine(Path.GetTempPath(), $"akkaocr-formats-{Guid.NewGuid():N}.pdf");
        await File.WriteAllBytesAsync(pdf, await client.GetByteArrayAsync($"/api/ocr/job/{jobId}/result/?format=pdf"));
        try
        {
            (await Processes.RunAsync("pdfinfo", [pdf])).Output.ShouldMatch(@"Pages:\s+2\b");
            var second = (await Processes.RunAsync("pdftotext", ["-f", "2", "-l", "2", pdf, "-"])).Output;
            // Page 3 of the upload is the scan upside down: its text layer reads back the right way round.
            second.ShouldContain("LinnSequencer");
            second.ShouldContain("MIDI");
        }
        finally
        {
            File.Delete(pdf);
        }

        (await client.GetAsync($"/api/ocr/job/{jobId}/page/1/image/")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.GetAsync($"/api/ocr/job/{jobId}/page/3/image/")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_text_upload_has_no_positions_so_its_drawn_formats_answer_409_with_the_reason()
    {
        using var client = shared.Host.Client("formats-text-user");
        var jobId = await client.SubmitOkAsync("note.txt", "Dear Dr Smith,\n\nthe results are normal."u8.ToArray());
        (await client.WaitAsync(jobId))["status"].Text().ShouldBe("completed");

        foreach (var format in new[] { "hocr", "alto", "pdf" })
        {
            var response = await client.GetAsync($"/api/ocr/job/{jobId}/result/?format={format}");
            response.StatusCode.ShouldBe(HttpStatusCode.Conflict, format);
            (await response.Content.ReadAsStringAsync()).ShouldContain("text upload");
        }

        (await client.GetStringAsync($"/api/ocr/job/{jobId}/result/?format=md")).ShouldContain("the results are normal.");
        (await client.GetStringAsync($"/api/ocr/job/{jobId}/result/?format=txt")).ShouldBe("Dear Dr Smith,\n\nthe results are normal.");
    }
}
