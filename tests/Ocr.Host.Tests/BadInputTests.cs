using System.Net;
using Ocr.TestSupport;
using Xunit.Abstractions;

namespace Ocr.Host.Tests;

[Collection(SharedHostCollection.Name)]
public sealed class BadInputTests(SharedHost shared, ITestOutputHelper output)
{
    private HostProcess Host => shared.Host;

    public static TheoryData<string> OddFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(EvalCorpus.PathOf("odd")).Where(f => !f.EndsWith(".gt.txt")).Order())
        {
            data.Add("odd/" + Path.GetFileName(file));
        }

        foreach (var pdf in new[] { "pdfs/ocrmypdf_invalid.pdf", "pdfs/plumber_empty.pdf", "pdfs/pdfminer_aes256_userpw.pdf" })
        {
            data.Add(pdf);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OddFiles))]
    public async Task An_odd_input_gets_a_clear_error_or_a_correct_result_and_the_service_stays_healthy(string file)
    {
        using var client = Host.Client("odd-user");
        var response = await client.SubmitAsync(Path.GetFileName(file), await File.ReadAllBytesAsync(EvalCorpus.PathOf(file)));
        var truth = EvalCorpus.PathOf(Path.ChangeExtension(file, null) + ".gt.txt");

        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            response.StatusCode.ShouldBeOneOf(HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge);
            var error = (await response.JsonAsync())["error"].Text();
            output.WriteLine($"{file}: {(int)response.StatusCode} {error}");
            error.ShouldNotBeEmpty();
            var allowedByDefault = new[] { ".pdf", ".jpg", ".jpeg", ".png", ".bmp", ".tiff", ".tif", ".txt", ".rtf" }.Contains(Path.GetExtension(file));
            if (allowedByDefault)
            {
                File.Exists(truth).ShouldBeFalse($"{file} has ground truth, so it should be read");
            }
            else
            {
                error.ShouldContain("not allowed");
            }
        }
        else
        {
            var jobId = (await response.JsonAsync())["job_id"].Text();
            var status = await client.WaitAsync(jobId, TimeSpan.FromMinutes(3));
            output.WriteLine($"{file}: {status["status"]} {status["error"]}");
            if (status["status"].Text() == "failed")
            {
                status["error"].Text().ShouldNotBeEmpty();
                File.Exists(truth).ShouldBeFalse($"{file} has ground truth, so it should be read");
            }
            else
            {
                status["status"].Text().ShouldBe("completed");
                if (File.Exists(truth))
                {
                    var cer = ErrorRate.Cer(await File.ReadAllTextAsync(truth), (await client.ResultAsync(jobId))["extracted_text"].Text());
                    output.WriteLine($"{file}: CER {cer:P1}");
                    cer.ShouldBeLessThan(0.35);
                }
            }
        }

        (await client.GetAsync("/api/ocr/health/")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_truncated_TIFF_and_a_corrupt_PNG_fail_cleanly()
    {
        using var client = Host.Client("corrupt-user");
        var tiff = await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/tess_phototest.tif"));
        var png = await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/tjs_bill.png"));
        byte[] corruptPng = [.. png.Take(64), .. Enumerable.Repeat((byte)0x5A, 4096)];

        // Neither can be decoded: each job fails, and its error says what was wrong with the file.
        foreach (var (name, bytes, error) in new[]
                 {
                     ("cut.tif", tiff[..(tiff.Length / 10)], "the TIFF is corrupt or truncated and could not be decoded"),
                     ("corrupt.png", corruptPng, "the image is corrupt or truncated and could not be decoded"),
                 })
        {
            var jobId = await client.SubmitOkAsync(name, bytes);
            var status = await client.WaitAsync(jobId, TimeSpan.FromMinutes(1));
            output.WriteLine($"{name}: {status["status"]} {status["error"]}");

            status["status"].Text().ShouldBe("failed");
            status["error"].Text().ShouldBe(error);
        }

        (await client.GetAsync("/api/ocr/health/")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
