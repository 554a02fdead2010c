using System.Text.RegularExpressions;
using System.Xml.Linq;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Neural;
using Ocr.Pipeline.Pages;
using Ocr.Pipeline.Rendering;
using Ocr.Pipeline.Streams;
using Ocr.TestSupport;
using Xunit.Abstractions;

namespace Ocr.Pipeline.Tests;

/// <summary>The page model's geometry and every renderer, on real eval pages, checked against stock tools.</summary>
public sealed partial class ResultFormatTests : TestKit, IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly PipelineOptions _options = new();
    private readonly TesseractPool _pool;
    private readonly NeuralEngine _neural;
    private readonly PagePipeline _pipeline;
    private readonly string _work = Directory.CreateTempSubdirectory("akkaocr-formats-").FullName;

    public ResultFormatTests(ITestOutputHelper output)
    {
        _output = output;
        _pool = new TesseractPool(_options);
        var materializer = Sys.Materializer();
        _neural = new NeuralEngine(NeuralModelSet.Load(Repository.Models, "ppocr-v4"),
            ExecutionProvider.Choose("cpu", gpuUsable: false, "tests"), () => materializer, new NeuralOptions { Workers = 1 });
        _pipeline = new PagePipeline(_pool, _options, _neural);
    }

    private async Task<IReadOnlyList<PageModel>> ReadAsync(string path, string engine = OcrEngines.Tesseract, int? dpi = null)
    {
        var work = new JobWork(path, FileTypes.KindOf(Path.GetExtension(path))!.Value, null, dpi, "eng", true, PreprocessMode.Auto, engine);
        using var document = await _pipeline.OpenAsync(work, default);
        var pages = await _pipeline.Pages(document, Enumerable.Range(1, document.PageCount), work, default).RunWith(Sink.Seq<PageModel>(), Sys.Materializer());
        return pages.OrderBy(p => p.PageNumber).ToList();
    }

    private static ResultDocument DocumentOf(IReadOnlyList<PageModel> pages) =>
        new("job-1", string.Join("\n\n", pages.Select(p => p.Text)), "tesseract", pages);

    [Theory]
    [InlineData("images/tess_phototest.tif")]
    [InlineData("images/tess_phototest_rotL.png")]
    [InlineData("images/tess_phototest_rotR.png")]
    [InlineData("images/ocrmypdf_linn.png")]
    [InlineData("images/sroie_457.jpg")]
    // The neural engine's words: the detector's regions reach past the writing, the words do not.
    [InlineData("images/sroie_033.jpg", OcrEngines.Neural, 0.6)]
    [InlineData("images/sroie_053.jpg", OcrEngines.Neural, 0.6)]
    public async Task Word_boxes_lie_where_stock_tesseract_puts_them_on_the_image_as_uploaded(string file, string engine = OcrEngines.Tesseract, double minimumIou = 0.7)
    {
        var page = (await ReadAsync(EvalCorpus.PathOf(file), engine))[0];
        // Stock tesseract reads the page turned upright the way the service found it; its boxes are turned back onto the upload.
        var upright = Path.Combine(_work, "upright.png");
        (await Processes.RunAsync("convert", [EvalCorpus.PathOf(file), "-rotate", (-page.Rotation).ToString(), upright])).ExitCode.ShouldBe(0);
        var hocr = await Processes.RunAsync("tesseract", [upright, "-", "hocr"]);
        var frame = new PageFrame(page.Width, page.Height, Rotation: page.Rotation);
        var reference = CliWords().Matches(hocr.Output)
            .Select(m => (Text: Normalise(m.Groups[5].Value), Box: frame.ToUpload(new Box(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value), int.Parse(m.Groups[3].Value), int.Parse(m.Groups[4].Value)))))
            .Where(w => w.Text.Length >= 3)
            .ToList();

        var (median, matched) = MedianIou(reference, page.Words.Select(w => (Normalise(w.Text), w.Box)).ToList());

        _output.WriteLine($"{file}: rotation {page.Rotation}, deskew {page.DeskewAngle}, median IoU {median:F2} over {matched} of {reference.Count} words");
        matched.ShouldBeGreaterThan(Math.Min(5, reference.Count / 2));
        median.ShouldBeGreaterThan(minimumIou);
        page.Words.ShouldAllBe(w => w.Box.X0 >= 0 && w.Box.Y0 >= 0 && w.Box.X1 <= page.Width && w.Box.Y1 <= page.Height && !w.Box.IsEmpty);
    }

    [Fact]
    public async Task A_skewed_page_keeps_its_words_where_they_are_on_the_upload()
    {
        // The page was straightened to be read; its boxes are turned back onto the tilted scan.
        var file = EvalCorpus.PathOf("pdfs/ocrmypdf_skew.pdf");
        var page = (await ReadAsync(file, dpi: 150))[0];
        var rendered = Path.Combine(_work, "skew");
        (await Processes.RunAsync("pdftoppm", ["-r", "150", "-gray", "-png", "-singlefile", file, rendered])).ExitCode.ShouldBe(0);
        var hocr = await Processes.RunAsync("tesseract", [rendered + ".png", "-", "hocr"]);
        var reference = CliWords().Matches(hocr.Output)
            .Select(m => (Text: Normalise(m.Groups[5].Value), Box: new Box(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value), int.Parse(m.Groups[3].Value), int.Parse(m.Groups[4].Value))))
            .Where(w => w.Text.Length >= 3).ToList();

        var (median, matched) = MedianIou(reference, page.Words.Select(w => (Normalise(w.Text), w.Box)).ToList());

        _output.WriteLine($"skew: deskew {page.DeskewAngle}, dpi {page.Dpi}, {page.Width}x{page.Height}, median IoU {median:F2} over {matched}");
        Math.Abs(page.DeskewAngle).ShouldBeGreaterThan(1);
        page.Dpi.ShouldBe(150);
        median.ShouldBeGreaterThan(0.6);
    }

    [Fact]
    public async Task Both_engines_give_the_same_model_shape()
    {
        var file = EvalCorpus.PathOf("images/tess_phototest.tif");
        var tesseract = (await ReadAsync(file, OcrEngines.Tesseract))[0];
        var neural = (await ReadAsync(file, OcrEngines.Neural))[0];

        foreach (var page in new[] { tesseract, neural })
        {
            page.Blocks.ShouldNotBeNull().ShouldNotBeEmpty();
            (page.Width, page.Height).ShouldBe((tesseract.Width, tesseract.Height));
            // 640 x 480: read well, but small for a scan.
            page.Quality.ShouldNotBeNull().Issues.Select(i => i.Code).ShouldBe([QualityCodes.TooSmall]);
            foreach (var line in page.Lines)
            {
                line.Words.ShouldNotBeEmpty();
                line.Confidence.ShouldBeInRange(0, 1);
                line.Words.ShouldAllBe(w => w.Confidence >= 0 && w.Confidence <= 1 && !w.Box.IsEmpty && w.Box.X1 <= page.Width && w.Box.Y1 <= page.Height);
            }

            ErrorRate.Cer(page.Text, string.Join('\n', page.Lines.Select(l => l.Text))).ShouldBeLessThan(0.05);
        }

        var (median, matched) = MedianIou(
            tesseract.Words.Select(w => (Normalise(w.Text), w.Box)).Where(w => w.Item1.Length >= 3).ToList(),
            neural.Words.Select(w => (Normalise(w.Text), w.Box)).ToList());
        _output.WriteLine($"neural vs tesseract words: median IoU {median:F2} over {matched}");
        median.ShouldBeGreaterThan(0.5);
    }

    [Fact]
    public async Task Every_text_format_renders_a_real_page_and_gives_its_text_back()
    {
        var pages = await ReadAsync(EvalCorpus.PathOf("images/ocrmypdf_linn.png"));
        var document = DocumentOf(pages);
        var squashed = Squash(document.ExtractedText);

        var hocr = XDocument.Parse(HocrRenderer.Render(document));
        XNamespace x = "http://www.w3.org/1999/xhtml";
        var page = hocr.Descendants(x + "div").Single(d => (string?)d.Attribute("class") == "ocr_page");
        ((string)page.Attribute("title")!).ShouldStartWith($"bbox 0 0 {pages[0].Width} {pages[0].Height}; ppageno 0");
        var words = hocr.Descendants(x + "span").Where(s => (string?)s.Attribute("class") == "ocrx_word").ToList();
        words.Count.ShouldBe(pages[0].Words.Count());
        words.ShouldAllBe(w => Regex.IsMatch((string)w.Attribute("title")!, @"^bbox \d+ \d+ \d+ \d+; x_wconf \d+$"));
        ErrorRate.Cer(squashed, Squash(string.Concat(words.Select(w => w.Value)))).ShouldBeLessThan(0.01);

        var alto = Path.Combine(_work, "page.alto.xml");
        await File.WriteAllTextAsync(alto, AltoRenderer.Render(document));
        var schemas = Path.Combine(EvalCorpus.Root, "..", "schemas");
        var lint = await RunWithEnvironment("xmllint", ["--noout", "--nonet", "--schema", Path.Combine(schemas, "alto-4-4.xsd"), alto],
            ("XML_CATALOG_FILES", Path.Combine(schemas, "catalog.xml")));
        lint.ExitCode.ShouldBe(0, lint.Error);
        var strings = XDocument.Load(alto).Descendants().Where(e => e.Name.LocalName == "String").Select(e => (string)e.Attribute("CONTENT")!);
        ErrorRate.Cer(squashed, Squash(string.Concat(strings))).ShouldBeLessThan(0.01);

        var markdown = MarkdownRenderer.Render(document);
        markdown.ShouldContain("## ");
        ErrorRate.Cer(squashed, Squash(Regex.Replace(markdown, @"[#\-]", ""))).ShouldBeLessThan(0.05);
        _output.WriteLine(markdown[..Math.Min(600, markdown.Length)]);
    }

    /// <summary>
    /// Poppler's reading order decides the text of a PDF: on a single column it is the page's
    /// text; where it orders a two-column page's blocks differently (linn) it still reads closer
    /// than stock tesseract's own PDF of the page does (27 % there).
    /// </summary>
    [Theory]
    [InlineData("images/tess_phototest_rotL.png", 0.02)]
    [InlineData("images/tess_unlv_8071_093.tif", 0.05)]
    [InlineData("images/ocrmypdf_linn.png", 0.15)]
    public async Task The_searchable_pdf_of_an_image_reads_back_with_poppler_with_words_on_their_boxes(string file, double maxCer)
    {
        var pages = await ReadAsync(EvalCorpus.PathOf(file));
        var upload = Path.Combine(_work, "upload" + Path.GetExtension(file));
        File.Copy(EvalCorpus.PathOf(file), upload);
        var pdf = Path.Combine(_work, "out.pdf");

        await SearchablePdfBuilder.BuildAsync(upload, FileTypes.KindOf(Path.GetExtension(file))!.Value, pages, _options, pdf, default);

        var text = (await Processes.RunAsync("pdftotext", [pdf, "-"])).Output;
        var cer = ErrorRate.Cer(Squash(DocumentOf(pages).ExtractedText), Squash(text));
        var (median, matched) = await PdfWordIou(pdf, pages[0]);
        _output.WriteLine($"{file}: text CER {cer:P1}, words median IoU {median:F2} over {matched}, {new FileInfo(pdf).Length} bytes");
        cer.ShouldBeLessThan(maxCer);
        median.ShouldBeGreaterThan(0.5);
        (await Processes.RunAsync("pdfinfo", [pdf])).Output.ShouldMatch(@"Pages:\s+1\b");
    }

    [Fact]
    public async Task A_pdf_upload_keeps_its_own_pages_born_digital_ones_unchanged_and_gets_text_on_its_scanned_ones()
    {
        // One born-digital page and one scanned page in one upload.
        var digital = EvalCorpus.PathOf("pdfs/sample_google_doc.pdf");
        var scanned = EvalCorpus.PathOf("pdfs/textract_garratts_scan.pdf");
        var upload = Path.Combine(_work, "mixed.pdf");
        (await Processes.RunAsync("qpdf", ["--empty", "--pages", digital, "1", scanned, "1", "--", upload])).ExitCode.ShouldBe(0);
        var pages = await ReadAsync(upload, dpi: 200);
        pages.Select(p => p.Source).ShouldBe([PageSources.TextLayer, PageSources.Ocr]);
        var pdf = Path.Combine(_work, "mixed.out.pdf");

        await SearchablePdfBuilder.BuildAsync(upload, DocumentKind.Pdf, pages, _options, pdf, default);

        var before = (await Processes.RunAsync("pdftotext", ["-f", "1", "-l", "1", upload, "-"])).Output;
        var after = (await Processes.RunAsync("pdftotext", ["-f", "1", "-l", "1", pdf, "-"])).Output;
        after.ShouldBe(before);
        var scannedText = (await Processes.RunAsync("pdftotext", ["-f", "2", "-l", "2", pdf, "-"])).Output;
        var cer = ErrorRate.Cer(Squash(pages[1].Text), Squash(scannedText));
        _output.WriteLine($"scanned page: text CER {cer:P1}\n{scannedText}\n---\n{pages[1].Text}");
        cer.ShouldBeLessThan(0.05);
        var (median, _) = await PdfWordIou(pdf, pages[1], pageNumber: 2);
        median.ShouldBeGreaterThan(0.5);
        // The text-layer page's words come from the PDF's own positions, in its text's order.
        ErrorRate.Cer(Squash(pages[0].Text), Squash(string.Concat(pages[0].Words.Select(w => w.Text)))).ShouldBeLessThan(0.05);
    }

    private async Task<(double Median, int Matched)> PdfWordIou(string pdf, PageModel page, int pageNumber = 1)
    {
        var bbox = (await Processes.RunAsync("pdftotext", ["-bbox", "-f", $"{pageNumber}", "-l", $"{pageNumber}", pdf, "-"])).Output;
        var size = Regex.Match(bbox, @"<page width=""([\d.]+)"" height=""([\d.]+)""");
        var (sx, sy) = (page.Width / double.Parse(size.Groups[1].Value), page.Height / double.Parse(size.Groups[2].Value));
        var words = PdfWords().Matches(bbox)
            .Select(m => (Text: Normalise(System.Net.WebUtility.HtmlDecode(m.Groups[5].Value)), Box: new Box(
                (int)(double.Parse(m.Groups[1].Value) * sx), (int)(double.Parse(m.Groups[2].Value) * sy),
                (int)(double.Parse(m.Groups[3].Value) * sx), (int)(double.Parse(m.Groups[4].Value) * sy))))
            .Where(w => w.Text.Length >= 3).ToList();
        return MedianIou(words, page.Words.Select(w => (Normalise(w.Text), w.Box)).ToList());
    }

    /// <summary>Median IoU over the reference words matched by text (each candidate used once).</summary>
    private static (double Median, int Matched) MedianIou(IReadOnlyList<(string Text, Box Box)> reference, IReadOnlyList<(string Text, Box Box)> candidates)
    {
        var pool = candidates.GroupBy(c => c.Text).ToDictionary(g => g.Key, g => g.Select(c => c.Box).ToList());
        var scores = new List<double>();
        foreach (var (text, box) in reference)
        {
            if (pool.TryGetValue(text, out var boxes) && boxes.Count > 0)
            {
                var best = boxes.MaxBy(b => Iou(box, b));
                scores.Add(Iou(box, best));
                boxes.Remove(best);
            }
        }

        scores.Sort();
        return (scores.Count == 0 ? 0 : scores[scores.Count / 2], scores.Count);
    }

    private static double Iou(Box a, Box b)
    {
        var inter = Math.Max(0, Math.Min(a.X1, b.X1) - Math.Max(a.X0, b.X0)) * (double)Math.Max(0, Math.Min(a.Y1, b.Y1) - Math.Max(a.Y0, b.Y0));
        var union = ((double)a.Width * a.Height) + ((double)b.Width * b.Height) - inter;
        return union > 0 ? inter / union : 0;
    }

    private static string Normalise(string word) => Regex.Replace(System.Net.WebUtility.HtmlDecode(word), @"[^\w]", "").ToLowerInvariant();

    private static string Squash(string text) => Regex.Replace(text, @"\s+", "").ToLowerInvariant();

    private static async Task<(int ExitCode, string Output, string Error)> RunWithEnvironment(string program, string[] arguments, (string Name, string Value) variable)
    {
        var previous = Environment.GetEnvironmentVariable(variable.Name);
        Environment.SetEnvironmentVariable(variable.Name, variable.Value);
        try
        {
            return await Processes.RunAsync(program, arguments);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable.Name, previous);
        }
    }

    [GeneratedRegex(@"class='ocrx_word'[^>]*title='bbox (\d+) (\d+) (\d+) (\d+);[^']*'>([^<]*)<")]
    private static partial Regex CliWords();

    [GeneratedRegex(@"<word xMin=""([\d.]+)"" yMin=""([\d.]+)"" xMax=""([\d.]+)"" yMax=""([\d.]+)"">([^<]*)</word>")]
    private static partial Regex PdfWords();

    protected override void Dispose(bool disposing)
    {
        _neural.Dispose();
        _pool.Dispose();
        Directory.Delete(_work, recursive: true);
        base.Dispose(disposing);
    }
}
