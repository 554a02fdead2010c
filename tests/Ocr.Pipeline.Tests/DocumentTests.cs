using System.Text;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Imaging;
using Ocr.Pipeline.Streams;
using Ocr.TestSupport;
using Xunit.Abstractions;

namespace Ocr.Pipeline.Tests;

public sealed class DocumentTests(ITestOutputHelper output)
{
    private static readonly PipelineOptions Options = new();

    private static Task<IDocument> Open(string relative, PipelineOptions? options = null) =>
        DocumentOpener.OpenAsync(EvalCorpus.PathOf(relative), FileTypes.KindOf(Path.GetExtension(relative))!.Value, null, options ?? Options, default);

    [Theory]
    [InlineData("odd/striprtf_Example_text.rtf", 0.10)]
    [InlineData("odd/striprtf_calcium_score.rtf", 0.10)]
    [InlineData("odd/striprtf_unicode.rtf", 0.01)]
    public async Task RTF_files_convert_to_their_plain_text(string file, double maxCer)
    {
        using var document = await Open(file);
        var page = (TextPage)await document.LoadPageAsync(1, default);

        var cer = ErrorRate.Cer(EvalCorpus.GroundTruth(file), page.Text, ignoreCase: false);
        output.WriteLine($"{file}: CER {cer:P2}");
        cer.ShouldBeLessThan(maxCer);
        page.Source.ShouldBe(PageSources.TextFile);
    }

    [Theory]
    [InlineData("{\\rtf1 unclosed {group")]
    [InlineData("{\\rtf1 bad hex \\'zz}")]
    [InlineData("plain text, not rtf")]
    public void Malformed_RTF_gives_a_clear_error(string rtf)
    {
        Should.Throw<OcrDocumentException>(() => RtfConverter.ToPlainText(rtf)).Message.ShouldContain("RTF");
    }

    [Fact]
    public void RTF_unicode_escapes_skip_their_fallback_characters()
    {
        RtfConverter.ToPlainText("{\\rtf1\\ansi\\ansicpg1252\\uc1 caf\\'e9 \\u8364? end\\par next}").ShouldBe("café € end\nnext");
    }

    [Theory]
    [InlineData(".png", new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, true)]
    [InlineData(".jpg", new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, false)]
    [InlineData(".jpg", new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, true)]
    [InlineData(".tif", new byte[] { 0x49, 0x49, 0x2A, 0x00 }, true)]
    [InlineData(".pdf", new byte[] { 0x25, 0x50, 0x44, 0x46, 0x2D }, true)]
    [InlineData(".txt", new byte[] { 0x41, 0x00, 0x42 }, false)]
    [InlineData(".txt", new byte[] { 0xFF, 0xFE, 0x41, 0x00 }, true)]
    public void Magic_bytes_must_match_the_extension(string extension, byte[] head, bool matches)
    {
        (FileTypes.Check(extension, head) is null).ShouldBe(matches);
    }

    [Theory]
    [InlineData("1-3,7", 10, new[] { 1, 2, 3, 7 })]
    [InlineData("2", 3, new[] { 2 })]
    [InlineData("5-100", 6, new[] { 5, 6 })]
    [InlineData(null, 3, new[] { 1, 2, 3 })]
    public void Page_selections_resolve_against_the_page_count(string? selection, int pages, int[] expected)
    {
        PageSelection.Resolve(selection, pages).ShouldBe(expected);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("3-1")]
    [InlineData("a-b")]
    [InlineData("1,,2")]
    public void Bad_page_selections_are_refused(string selection)
    {
        PageSelection.Validate(selection).ShouldNotBeNull();
    }

    [Theory]
    [InlineData("pdfs/pdfminer_aes256_userpw.pdf", "encrypted")]
    [InlineData("pdfs/ocrmypdf_invalid.pdf", "PDF")]
    public async Task Unreadable_PDFs_fail_with_an_error_that_says_why(string file, string expected)
    {
        var error = await Should.ThrowAsync<OcrDocumentException>(() => Open(file));

        output.WriteLine(error.Message);
        error.Message.ShouldContain(expected);
    }

    [Fact]
    public async Task A_zero_byte_PDF_fails_cleanly()
    {
        var path = Path.GetTempFileName();
        try
        {
            await Should.ThrowAsync<OcrDocumentException>(() => DocumentOpener.OpenAsync(path, DocumentKind.Pdf, null, Options, default));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_bitmap_whose_header_claims_billions_of_pixels_is_refused_before_decoding()
    {
        var error = await Should.ThrowAsync<OcrDocumentException>(() => Open("odd/bmpsuite_reallybig.bmp"));
        output.WriteLine(error.Message);

        error.Message.ShouldContain("limit");
    }

    [Fact]
    public async Task A_huge_PDF_page_is_rendered_at_a_lower_DPI_within_the_pixel_budget()
    {
        var options = Options with { MaxPagePixels = 20_000_000 };
        using var document = await Open("pdfs/ocrmypdf_hugemono.pdf", options);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);

        ((long)page.Image.Width * page.Image.Height).ShouldBeLessThanOrEqualTo(options.MaxPagePixels);
        page.Image.Resolution.ShouldBeLessThan(options.PdfDpi);
    }

    [Fact]
    public async Task A_PDF_page_read_from_pdftoppms_output_has_the_same_pixels_as_one_read_from_a_file()
    {
        using var piped = await Open("pdfs/ocrmypdf_skew.pdf", Options with { PdfFormat = "PGM", PdfTextLayer = "ignore", PdfDpi = 150 });
        using var filed = await Open("pdfs/ocrmypdf_skew.pdf", Options with { PdfFormat = "TIFF", PdfTextLayer = "ignore", PdfDpi = 150 });
        using var fromPipe = (ImagePage)await piped.LoadPageAsync(1, default);
        using var fromFile = (ImagePage)await filed.LoadPageAsync(1, default);
        using var a = PixelBridge.ToGray(fromPipe.Image);
        using var b = PixelBridge.ToGray(fromFile.Image);

        fromPipe.Image.Depth.ShouldBe(8);
        fromPipe.Image.Resolution.ShouldBe(150);
        (a.Width, a.Height).ShouldBe((b.Width, b.Height));
        using var difference = new OpenCvSharp.Mat();
        OpenCvSharp.Cv2.Absdiff(a, b, difference);
        OpenCvSharp.Cv2.CountNonZero(difference).ShouldBe(0);
    }

    [Fact]
    public async Task Pages_asked_for_in_any_order_come_from_the_pdftoppm_stream_with_their_own_pixels()
    {
        // Cardinal's four pages are one scan turned four ways, so a page read in the wrong place shows.
        var streamed = Options with { PdfFormat = "PGM", PdfTextLayer = "ignore", PdfDpi = 100 };
        var single = Options with { PdfFormat = "TIFF", PdfTextLayer = "ignore", PdfDpi = 100 };
        using var stream = await Open("pdfs/ocrmypdf_cardinal.pdf", streamed);
        using var files = await Open("pdfs/ocrmypdf_cardinal.pdf", single);

        foreach (var pageNumber in new[] { 1, 2, 3, 4, 2, 1 })
        {
            using var fromStream = (ImagePage)await stream.LoadPageAsync(pageNumber, default);
            using var fromFile = (ImagePage)await files.LoadPageAsync(pageNumber, default);
            using var a = PixelBridge.ToGray(fromStream.Image);
            using var b = PixelBridge.ToGray(fromFile.Image);
            (a.Width, a.Height).ShouldBe((b.Width, b.Height), $"page {pageNumber}");
            using var difference = new OpenCvSharp.Mat();
            OpenCvSharp.Cv2.Absdiff(a, b, difference);
            OpenCvSharp.Cv2.CountNonZero(difference).ShouldBe(0, $"page {pageNumber}");
        }
    }

    [Fact]
    public async Task Closing_a_PDF_half_read_leaves_no_pdftoppm_running()
    {
        var document = (PdfDocument)await Open("pdfs/ocrmypdf_cardinal.pdf", Options with { PdfTextLayer = "ignore", PdfDpi = 100 });
        int renderer;
        using (await document.LoadPageAsync(1, default))
        {
            renderer = document.RendererProcessId.ShouldNotBeNull(); // still there, holding page 2
            IsRunning(renderer).ShouldBeTrue();
        }

        document.Dispose();
        await Task.Delay(500);

        IsRunning(renderer).ShouldBeFalse();
    }

    [Fact]
    public async Task A_PDF_renders_only_the_pages_planned_for_it()
    {
        using var document = (PdfDocument)await Open("pdfs/ocrmypdf_cardinal.pdf", Options with { PdfTextLayer = "ignore", PdfDpi = 100 });
        document.Plan([2]);

        using (await document.LoadPageAsync(2, default))
        {
            // Page 2 was the whole run: poppler is not left rendering page 3 for nobody.
            document.RendererProcessId.ShouldBeNull();
        }
    }

    /// <summary>Whether the process is alive and ours (an exited child waiting to be reaped, state Z, is not).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            return fields[0] != "Z" && int.Parse(fields[1]) == Environment.ProcessId;
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_greymap_with_a_comment_and_an_odd_width_reads_pixel_for_pixel()
    {
        // 5 x 2 pixels: rows end inside a 32-bit word, so padding must stay out of the picture.
        byte[] pixels = [0, 10, 20, 30, 40, 250, 240, 230, 220, 210];
        using var stream = new MemoryStream([.. "P5\n# pdftoppm\n5 2\n255\n"u8.ToArray(), .. pixels]);

        using var image = await GraymapReader.ReadAsync(stream, 300, default);
        using var mat = PixelBridge.ToGray(image);

        (image.Width, image.Height, image.Depth, image.Resolution).ShouldBe((5, 2, 8, 300));
        mat.GetArray(out byte[] read).ShouldBeTrue();
        read.ShouldBe(pixels);
    }

    [Theory]
    [InlineData("P6\n2 2\n255\n", typeof(InvalidDataException))]
    [InlineData("P5\n2 2\n65535\n", typeof(InvalidDataException))]
    [InlineData("P5\n2 x\n255\n", typeof(InvalidDataException))]
    [InlineData("P5\n4 4\n255\n\u0001\u0002", typeof(EndOfStreamException))]
    [InlineData("", typeof(EndOfStreamException))]
    public async Task A_stream_that_is_not_a_whole_8_bit_greymap_is_refused(string content, Type expected)
    {
        using var stream = new MemoryStream(Encoding.Latin1.GetBytes(content));

        var error = await Should.ThrowAsync<Exception>(() => GraymapReader.ReadAsync(stream, 300, default));
        error.ShouldBeOfType(expected);
    }

    [Fact]
    public async Task A_multi_page_TIFF_has_one_page_per_image()
    {
        using var document = await Open("odd/garratts_3page_g4.tif");

        document.PageCount.ShouldBe(3);
        using var last = (ImagePage)await document.LoadPageAsync(3, default);
        last.Image.Width.ShouldBeGreaterThan(100);
    }

    [Fact]
    public async Task A_born_digital_PDF_page_takes_its_text_layer()
    {
        using var document = await Open("pdfs/sample_google_doc.pdf");
        var pages = new List<TextPage>();
        for (var n = 1; n <= document.PageCount; n++)
        {
            pages.Add((await document.LoadPageAsync(n, default)).ShouldBeOfType<TextPage>());
        }

        pages.ShouldAllBe(p => p.Source == PageSources.TextLayer);
        var cer = ErrorRate.Cer(EvalCorpus.GroundTruth("pdfs/sample_google_doc.pdf"), string.Join("\n", pages.Select(p => p.Text)));
        output.WriteLine($"CER {cer:P2}");
        cer.ShouldBeLessThan(0.02);
    }

    [Fact]
    public void Latin1_text_is_detected_when_it_is_not_UTF8()
    {
        TextDocument.Decode(Encoding.Latin1.GetBytes("Müller, café")).ShouldBe("Müller, café");
        TextDocument.Decode(Encoding.UTF8.GetBytes("Müller, café")).ShouldBe("Müller, café");
    }

    [Fact]
    public void The_DPI_is_lowered_only_when_a_page_exceeds_the_budget()
    {
        PdfDocument.DpiWithinBudget(612, 792, 400, 60_000_000).ShouldBe(400);
        PdfDocument.DpiWithinBudget(8400, 8400, 400, 60_000_000).ShouldBe(66);
    }
}

public sealed class TextLayerTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("pdfs/pdfjs_tracemonkey.pdf", 0.02)]
    [InlineData("pdfs/pdfminer_f1040nr.pdf", 0.02)]
    [InlineData("pdfs/plumber_nics_checks.pdf", 0.02)]
    [InlineData("pdfs/sample_google_doc.pdf", 0.02)]
    [InlineData("pdfs/plumber_scotus_transcript.pdf", 0.02)]
    [InlineData("pdfs/pdfminer_dmca_ownerpw.pdf", 0.02)]
    public async Task Born_digital_PDFs_read_from_their_text_layer_match_their_ground_truth(string file, double maxCer)
    {
        using var document = await DocumentOpener.OpenAsync(EvalCorpus.PathOf(file), DocumentKind.Pdf, null, new PipelineOptions(), default);
        var pages = new List<string>();
        for (var n = 1; n <= document.PageCount; n++)
        {
            var page = (await document.LoadPageAsync(n, default)).ShouldBeOfType<TextPage>();
            page.Source.ShouldBe(PageSources.TextLayer);
            pages.Add(page.Text);
        }

        var cer = ErrorRate.Cer(EvalCorpus.GroundTruth(file), string.Join("\n", pages), ignoreCase: false);
        output.WriteLine($"{file}: CER {cer:P2}");
        cer.ShouldBeLessThan(maxCer);
    }

    [Theory]
    [InlineData("pdfs/pdfjs_tracemonkey.pdf")]
    [InlineData("pdfs/plumber_scotus_transcript.pdf")]
    [InlineData("pdfs/pdfminer_f1040nr.pdf")]
    public async Task Each_page_of_the_one_pass_text_layer_is_what_pdftotext_gives_for_that_page_alone(string file)
    {
        var path = EvalCorpus.PathOf(file);
        using var document = await DocumentOpener.OpenAsync(path, DocumentKind.Pdf, null, new PipelineOptions(), default);
        var whole = await ProcessRunner.RunAsync("pdftotext", ["-layout", "-enc", "UTF-8", path, "-"], default);
        string[] mode = ColumnLayout.DocumentHasTextColumns(whole.StandardOutput) ? [] : ["-layout"];
        output.WriteLine($"{file}: {document.PageCount} pages, {(mode.Length == 0 ? "reading-order" : "layout")} mode");

        for (var n = 1; n <= document.PageCount; n++)
        {
            var page = (await document.LoadPageAsync(n, default)).ShouldBeOfType<TextPage>();
            var alone = await ProcessRunner.RunAsync("pdftotext", [.. mode, "-f", $"{n}", "-l", $"{n}", "-enc", "UTF-8", path, "-"], default);
            page.Text.ShouldBe(alone.StandardOutput.Replace("\f", string.Empty).TrimEnd(), $"page {n}");
        }
    }
}
