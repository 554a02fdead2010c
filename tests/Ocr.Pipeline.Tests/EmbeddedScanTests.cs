using OpenCvSharp;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Imaging;
using Ocr.TestSupport;
using Xunit.Abstractions;
using Op = Ocr.Pipeline.Documents.ScanPlacement.Operation;

namespace Ocr.Pipeline.Tests;

/// <summary>
/// Scanned PDF pages read from their own images instead of rendered: which pages qualify, and
/// that the pixels are the ones pdftoppm draws (real PDFs made by img2pdf from the eval scans).
/// </summary>
public sealed class EmbeddedScanTests(ITestOutputHelper output) : IDisposable
{
    private static readonly PipelineOptions Options = new();
    private readonly string _work = Directory.CreateTempSubdirectory("scan-tests-").FullName;

    [Fact]
    public void An_image_drawn_once_under_its_matrix_gives_that_matrix()
    {
        Op[] img2pdf = [new("q"), new("cm", [612, 0, 0, 792, 0, 0]), new("Do"), new("Q")];
        Op[] nested = [new("q"), new("cm", [2, 0, 0, 2, 10, 20]), new("q"), new("cm", [100, 0, 0, 50, 0, 0]), new("Do"), new("Q"), new("Q")];

        ScanPlacement.SingleDrawMatrix(img2pdf).ShouldBe([612, 0, 0, 792, 0, 0]);
        ScanPlacement.SingleDrawMatrix(nested).ShouldBe([200, 0, 0, 100, 10, 20]);
    }

    [Fact]
    public void Anything_besides_one_image_draw_is_not_a_plain_scan()
    {
        ScanPlacement.SingleDrawMatrix([new("q"), new("cm", [612, 0, 0, 792, 0, 0]), new("Do"), new("Do"), new("Q")]).ShouldBeNull();
        ScanPlacement.SingleDrawMatrix([new("q"), new("cm", [612, 0, 0, 792, 0, 0]), new("Do"), new("Q"), new("BT"), new("Tj"), new("ET")]).ShouldBeNull();
        ScanPlacement.SingleDrawMatrix([new("Q"), new("Do")]).ShouldBeNull();
        ScanPlacement.SingleDrawMatrix([new("q"), new("Q")]).ShouldBeNull();
    }

    [Theory]
    [InlineData(new double[] { 612, 0, 0, 792, 0, 0 }, 2550, 3300, 300, true)]
    [InlineData(new double[] { 178.08, 0, 0, 347.76, 0, 0 }, 742, 1449, 300, true)] // pdftoppm draws it 743 wide
    [InlineData(new double[] { 612, 0, 0, 792, 0, 0 }, 1275, 1650, 300, false)] // a 150-dpi scan would be resampled
    [InlineData(new double[] { 612, 0, 0, 792, 0, 0 }, 2550, 3300, 200, false)] // the DPI lowered for the pixel budget
    [InlineData(new double[] { 612, 0, 0, -792, 0, 792 }, 2550, 3300, 300, false)] // mirrored
    [InlineData(new double[] { 0, 792, -612, 0, 612, 0 }, 2550, 3300, 300, false)] // turned
    [InlineData(new double[] { 600, 0, 0, 792, 6, 0 }, 2500, 3300, 300, false)] // short of the page
    public void A_scan_fills_the_page_upright_at_one_sample_per_pixel(double[] matrix, int width, int height, int dpi, bool fills)
    {
        var letter = matrix[0] == 178.08 ? new ScanPlacement.Box(0, 0, 178.08, 347.76) : new ScanPlacement.Box(0, 0, 612, 792);

        ScanPlacement.FillsPage(matrix, letter, width, height, dpi).ShouldBe(fills);
    }

    [Fact]
    public void Sample_rows_become_gray_levels()
    {
        var gray = new byte[4];

        ScanPixels.ToGrayRow([0b1010_0000], gray, new SampleLayout(4, 1, 1, 1));
        gray.ShouldBe([255, 0, 255, 0]);

        ScanPixels.ToGrayRow([0x0F, 0x84], gray, new SampleLayout(4, 1, 1, 4));
        gray.ShouldBe([0, 255, 136, 68]);

        var palette = Enumerable.Range(0, 256).Select(i => (byte)(255 - i)).ToArray();
        ScanPixels.ToGrayRow([0b0001_1011], gray, new SampleLayout(4, 1, 1, 2, palette));
        gray.ShouldBe([255, 254, 253, 252]);

        // poppler's weights: 0.30 red, 0.59 green, 0.11 blue.
        ScanPixels.ToGrayRow([255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 100, 50], gray, new SampleLayout(4, 1, 3, 8));
        gray.ShouldBe([77, 150, 28, 125]);
    }

    [Fact]
    public void PNG_predictor_rows_are_undone_against_the_row_above()
    {
        byte[] above = [10, 20, 30, 40];

        byte[] sub = [5, 1, 1, 1];
        ScanPixels.UndoPngFilter(1, sub, above, 1);
        sub.ShouldBe([5, 6, 7, 8]);

        byte[] up = [1, 2, 3, 250];
        ScanPixels.UndoPngFilter(2, up, above, 1);
        up.ShouldBe([11, 22, 33, 34]); // wraps modulo 256

        byte[] average = [4, 4, 4, 4];
        ScanPixels.UndoPngFilter(3, average, above, 1);
        average.ShouldBe([9, 18, 28, 38]); // 4 + (0 + 10) / 2, 4 + (9 + 20) / 2, ...

        byte[] paeth = [1, 1, 1, 1];
        ScanPixels.UndoPngFilter(4, paeth, above, 1);
        paeth.ShouldBe([11, 21, 31, 41]); // nearest of left, above, above-left to left + above - above-left: above

        Should.Throw<InvalidDataException>(() => ScanPixels.UndoPngFilter(9, new byte[4], above, 1));
    }

    /// <summary>Each kind of scan, how ImageMagick makes it from an eval page, and how far its gray levels may be from pdftoppm's on average.</summary>
    public static TheoryData<string, string[], double> Scans => new()
    {
        // Continuous tones: within half a gray level once given pdftoppm's 2x2 mean (1.5 without it).
        { "colour JPEG", ["images/sroie_033.jpg"], 1.0 },
        { "gray JPEG", ["images/sroie_033.jpg", "-colorspace", "Gray"], 1.0 },
        { "colour PNG", ["images/sroie_053.jpg", "-type", "TrueColor", "-define", "png:color-type=2"], 1.0 },
        { "gray PNG", ["images/sroie_053.jpg", "-colorspace", "Gray", "-define", "png:color-type=0"], 1.0 },
        { "palette PNG", ["images/sroie_053.jpg", "-colors", "12", "-type", "Palette"], 1.0 },
        // Black and white: pdftoppm's edges are not a plain mean, so more differs (2.4 measured).
        { "bi-level PNG", ["images/ocrmypdf_linn.png", "-monochrome"], 3.0 },
        { "G4 fax TIFF", ["images/ocrmypdf_linn.png", "-monochrome", "-compress", "Group4"], 3.0 },
    };

    [Theory]
    [MemberData(nameof(Scans))]
    public async Task A_scanned_page_is_read_from_its_own_image_with_the_pixels_pdftoppm_draws(string kind, string[] convert, double meanDifference)
    {
        var extension = kind.EndsWith("JPEG", StringComparison.Ordinal) ? ".jpg" : kind.EndsWith("TIFF", StringComparison.Ordinal) ? ".tif" : ".png";
        var pdf = await ScanPdf(convert, extension, "300dpi");

        using var document = (PdfDocument)await DocumentOpener.OpenAsync(pdf, DocumentKind.Pdf, 300, Options, default);
        using var rendered = await DocumentOpener.OpenAsync(pdf, DocumentKind.Pdf, 300, Options with { PdfFormat = "TIFF" }, default);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);
        using var drawn = (ImagePage)await rendered.LoadPageAsync(1, default);

        document.PagesReadFromScans.ShouldBe(1, kind);
        document.RendererProcessId.ShouldBeNull();
        (page.Image.Depth, page.Image.Resolution).ShouldBe((8, 300));
        Math.Abs(page.Image.Width - drawn.Image.Width).ShouldBeLessThanOrEqualTo(1);
        Math.Abs(page.Image.Height - drawn.Image.Height).ShouldBeLessThanOrEqualTo(1);
        var difference = MeanDifference(page.Image, drawn.Image);
        output.WriteLine($"{kind}: {page.Image.Width}x{page.Image.Height}, pdftoppm {drawn.Image.Width}x{drawn.Image.Height}, mean difference {difference:F2} gray levels");
        // A page read upside down, inverted or with the wrong palette differs by tens of levels.
        difference.ShouldBeLessThan(meanDifference, kind);
    }

    [Theory]
    [InlineData("images/sroie_033.jpg", ".jpg", "150dpi")] // pdftoppm would resample it to 300 dpi
    [InlineData("images/tjs_bill.png", ".png", "300dpi")] // an alpha channel: img2pdf keeps it as a soft mask, drawn over white
    public async Task A_scan_that_pdftoppm_would_not_just_copy_is_rendered(string source, string extension, string size)
    {
        var pdf = await ScanPdf([source], extension, size);

        using var document = (PdfDocument)await DocumentOpener.OpenAsync(pdf, DocumentKind.Pdf, 300, Options, default);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);

        document.PagesReadFromScans.ShouldBe(0);
        page.Image.Resolution.ShouldBe(300);
    }

    [Fact]
    public async Task A_scan_with_text_drawn_over_it_is_rendered()
    {
        var jpeg = await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/sroie_033.jpg"));
        using var decoded = Cv2.ImDecode(jpeg, ImreadModes.Unchanged);
        var builder = new UglyToad.PdfPig.Writer.PdfDocumentBuilder();
        var (width, height) = (decoded.Width * 72.0 / 300, decoded.Height * 72.0 / 300);
        var pdfPage = builder.AddPage(width, height);
        pdfPage.AddJpeg(jpeg, new UglyToad.PdfPig.Core.PdfRectangle(0, 0, width, height));
        var font = builder.AddStandard14Font(UglyToad.PdfPig.Fonts.Standard14Fonts.Standard14Font.Helvetica);
        pdfPage.AddText("STAMPED COPY", 12, new UglyToad.PdfPig.Core.PdfPoint(10, 10), font);
        var pdf = Path.Combine(_work, "stamped.pdf");
        await File.WriteAllBytesAsync(pdf, builder.Build());

        using var document = (PdfDocument)await DocumentOpener.OpenAsync(pdf, DocumentKind.Pdf, 300, Options with { PdfTextLayer = "ignore" }, default);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);

        document.PagesReadFromScans.ShouldBe(0);
    }

    [Fact]
    public async Task Scanned_and_rendered_pages_of_one_PDF_each_come_back_as_themselves()
    {
        // Page 2 (a 150-dpi copy) needs pdftoppm between two pages read from their scans.
        var scan = await Converted(["images/sroie_033.jpg"], ".jpg");
        var pdf = Path.Combine(_work, "mixed.pdf");
        await Img2Pdf(pdf, ["--imgsize", "300dpi", scan]);
        var low = Path.Combine(_work, "low.pdf");
        await Img2Pdf(low, ["--imgsize", "150dpi", scan]);
        var joined = Path.Combine(_work, "joined.pdf");
        var (code, _, error) = await Processes.RunAsync("qpdf", ["--empty", "--pages", pdf, low, pdf, "--", joined]);
        code.ShouldBe(0, error);

        using var document = (PdfDocument)await DocumentOpener.OpenAsync(joined, DocumentKind.Pdf, 300, Options, default);
        var widths = new List<int>();
        for (var n = 1; n <= 3; n++)
        {
            using var page = (ImagePage)await document.LoadPageAsync(n, default);
            widths.Add(page.Image.Width);
        }

        document.PagesReadFromScans.ShouldBe(2);
        widths[0].ShouldBe(widths[2]);
        ((double)widths[1]).ShouldBe(2.0 * widths[0], 2.0);
    }

    private static double MeanDifference(PageImage a, PageImage b)
    {
        using var first = PixelBridge.ToGray(a);
        using var second = PixelBridge.ToGray(b);
        var common = new Rect(0, 0, Math.Min(first.Width, second.Width), Math.Min(first.Height, second.Height));
        using var difference = new Mat();
        Cv2.Absdiff(first[common], second[common], difference);
        return Cv2.Mean(difference).Val0;
    }

    private async Task<string> ScanPdf(string[] convert, string extension, string size)
    {
        var image = await Converted(convert, extension);
        var pdf = Path.ChangeExtension(image, ".pdf");
        await Img2Pdf(pdf, ["--imgsize", size, image]);
        return pdf;
    }

    private async Task<string> Converted(string[] convert, string extension)
    {
        var target = Path.Combine(_work, $"scan-{Guid.NewGuid():N}{extension}");
        var (code, _, error) = await Processes.RunAsync("convert", [EvalCorpus.PathOf(convert[0]), .. convert[1..], "-strip", target]);
        code.ShouldBe(0, error);
        return target;
    }

    private static async Task Img2Pdf(string pdf, string[] arguments)
    {
        var (code, _, error) = await Processes.RunAsync("img2pdf", [.. arguments, "-o", pdf]);
        code.ShouldBe(0, error);
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
