using System.Globalization;
using System.Text.RegularExpressions;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Documents;

/// <summary>
/// A PDF read page by page: a page whose text layer has real text (poppler's pdftotext) gives
/// that text; a page that is one scan drawn over the whole page at the job's DPI gives the scan's
/// own pixels (<see cref="EmbeddedScans"/>); any other page is
/// rendered by poppler's pdftoppm (a separate process: poppler is GPL) at the job's DPI, lowered
/// where the page would exceed the pixel budget.
/// </summary>
public sealed partial class PdfDocument : IDocument
{
    private const int MinimumTextLayerLetters = 20;

    // How far a pdftoppm run is planned ahead: each page of the plan is first checked for a scan
    // of its own, and a document of heavy drawings should not pay for all its pages at once.
    private const int RenderRunPages = 32;

    private readonly string _path;
    private readonly string _workDirectory;
    private readonly int _dpi;
    private readonly long _maxPixels;
    private readonly string _format;
    private readonly IReadOnlyList<(double Width, double Height)> _pageSizes;
    private readonly bool _useTextLayer;
    private readonly SemaphoreSlim _rasterGate = new(1, 1);
    private PageRasterStream? _raster;
    private IReadOnlySet<int>? _planned;
    private readonly SemaphoreSlim _textGate = new(1, 1);
    private readonly EmbeddedScans _scans;
    private TextLayer? _textLayer;

    private PdfDocument(string path, string workDirectory, int dpi, long maxPixels, string format,
        IReadOnlyList<(double, double)> pageSizes, bool useTextLayer)
    {
        _path = path;
        _workDirectory = workDirectory;
        _dpi = dpi;
        _maxPixels = maxPixels;
        _format = format;
        _pageSizes = pageSizes;
        _useTextLayer = useTextLayer;
        _scans = new EmbeddedScans(path);
    }

    public int PageCount => _pageSizes.Count;

    /// <summary>The pdftoppm process rendering ahead for this document, if one is running.</summary>
    internal int? RendererProcessId => _raster?.ProcessId;

    /// <summary>Pages whose pixels came from their own scan rather than from pdftoppm.</summary>
    internal int PagesReadFromScans => _scans.PagesRead;

    public static async Task<PdfDocument> OpenAsync(string path, int dpi, PipelineOptions options, CancellationToken cancellationToken)
    {
        var info = await ProcessRunner.RunAsync("pdfinfo", ["-f", "1", "-l", "100000", path], cancellationToken);
        if (info.ExitCode != 0)
        {
            throw new OcrDocumentException(Explain(info.StandardError));
        }

        var sizes = PageSizeLine().Matches(info.StandardOutput)
            .Select(m => (double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))
            .ToList();
        if (sizes.Count == 0)
        {
            throw new OcrDocumentException("the PDF has no pages");
        }

        var useTextLayer = string.Equals(options.PdfTextLayer, "auto", StringComparison.OrdinalIgnoreCase);
        var work = Path.Combine(Path.GetTempPath(), "akkaocr-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        return new PdfDocument(path, work, dpi, options.MaxPagePixels, options.PdfFormat, sizes, useTextLayer);
    }

    public void Plan(IReadOnlyList<int> pages) => _planned = pages.ToHashSet();

    public async Task<LoadedPage> LoadPageAsync(int pageNumber, CancellationToken cancellationToken)
    {
        var (widthPt, heightPt) = _pageSizes[pageNumber - 1];
        if (_useTextLayer)
        {
            var text = await TextLayerOf(pageNumber, cancellationToken);
            if (text is not null && text.Count(char.IsLetterOrDigit) >= MinimumTextLayerLetters)
            {
                var pageDpi = DpiWithinBudget(widthPt, heightPt, _dpi, _maxPixels);
                var words = _textLayer!.Words is { } all && all.Count >= pageNumber
                    ? TextLayerWords.InTextOrder(text, all[pageNumber - 1], pageDpi)
                    : [];
                return new TextPage(pageNumber, text, PageSources.TextLayer, PixelsAt(widthPt, pageDpi), PixelsAt(heightPt, pageDpi), pageDpi, words);
            }
        }

        var dpi = DpiWithinBudget(widthPt, heightPt, _dpi, _maxPixels);
        var image = _format.ToUpperInvariant() switch
        {
            "JPEG" or "JPG" => await RenderToFile(pageNumber, dpi, "-jpeg", ".jpg", cancellationToken),
            "TIFF" or "TIF" => await RenderToFile(pageNumber, dpi, "-tiff", ".tif", cancellationToken),
            // PNG and PGM are both lossless and give the same gray pixels: pages come through
            // pdftoppm's standard output as greymaps, read as they arrive (PNG compression of a
            // 300-dpi page costs ~1.4 s of CPU; a temporary file and Leptonica's PNM reader ~0.2 s).
            _ => _scans.TryRead(pageNumber, dpi) ?? await RenderThroughPipe(pageNumber, dpi, cancellationToken),
        };
        image.SetResolution(dpi);
        return new ImagePage(pageNumber, image);
    }

    /// <summary>
    /// Takes the page from the running pdftoppm stream when it is the next one there, else starts
    /// a stream at this page, running as far as the following pages render at the same DPI.
    /// </summary>
    private async Task<PageImage> RenderThroughPipe(int pageNumber, int dpi, CancellationToken cancellationToken)
    {
        await _rasterGate.WaitAsync(cancellationToken);
        try
        {
            if (_raster is not { } raster || raster.NextPage != pageNumber || raster.Dpi != dpi)
            {
                _raster?.Dispose();
                _raster = raster = PageRasterStream.Start(_path, pageNumber, LastPageRenderedAt(pageNumber, dpi), dpi);
            }

            try
            {
                var image = await raster.ReadPageAsync(cancellationToken);
                if (raster.Finished)
                {
                    raster.Dispose();
                    _raster = null;
                }

                return image;
            }
            catch
            {
                raster.Dispose();
                _raster = null;
                throw;
            }
        }
        finally
        {
            _rasterGate.Release();
        }
    }

    /// <summary>
    /// The last page of the run from <paramref name="first"/> whose pages are all planned, all
    /// fit the pixel budget at <paramref name="dpi"/> and none is read from its own scan.
    /// </summary>
    private int LastPageRenderedAt(int first, int dpi)
    {
        var last = first;
        while (last < PageCount && last - first + 1 < RenderRunPages && (_planned is null || _planned.Contains(last + 1))
               && DpiWithinBudget(_pageSizes[last].Width, _pageSizes[last].Height, _dpi, _maxPixels) == dpi
               && !_scans.IsScan(last + 1, dpi))
        {
            last++;
        }

        return last;
    }

    private async Task<PageImage> RenderToFile(int pageNumber, int dpi, string formatArg, string extension, CancellationToken cancellationToken)
    {
        var prefix = Path.Combine(_workDirectory, $"page-{pageNumber}");
        string[] arguments = [.. RenderArguments(dpi, pageNumber, pageNumber), "-singlefile", formatArg, _path, prefix];
        var render = await ProcessRunner.RunAsync("pdftoppm", arguments, cancellationToken);
        var file = prefix + extension;
        try
        {
            if (render.ExitCode != 0 || !File.Exists(file))
            {
                throw new OcrPageException($"page {pageNumber} could not be rendered: {FirstLine(render.StandardError)}");
            }

            var pix = Native.LeptonicaApi.pixRead(file);
            return pix != IntPtr.Zero
                ? new PageImage(pix)
                : throw new OcrPageException($"page {pageNumber} was rendered but could not be read back", transient: true);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// The page's text layer. The whole document's is extracted once, at the first page asked
    /// for (one poppler run instead of one per page); a document whose extraction does not split
    /// into its pages is read page by page.
    /// </summary>
    private async Task<string?> TextLayerOf(int pageNumber, CancellationToken cancellationToken)
    {
        await _textGate.WaitAsync(cancellationToken);
        try
        {
            _textLayer ??= await ExtractTextLayer(cancellationToken);
        }
        finally
        {
            _textGate.Release();
        }

        return _textLayer.Pages is { } pages
            ? pages[pageNumber - 1]
            : await ExtractText(["-f", pageNumber.ToString(CultureInfo.InvariantCulture), "-l", pageNumber.ToString(CultureInfo.InvariantCulture)],
                _textLayer.Layout, cancellationToken);
    }

    private async Task<TextLayer> ExtractTextLayer(CancellationToken cancellationToken)
    {
        var layoutText = await ExtractText([], layout: true, cancellationToken);
        // Layout mode keeps forms and tables row by row; a document set in text columns reads
        // better in poppler's reading-order mode, which keeps each column together.
        var layout = layoutText is null || !ColumnLayout.DocumentHasTextColumns(layoutText);
        var text = layout ? layoutText : await ExtractText([], layout: false, cancellationToken);
        // pdftotext ends every page with a form feed.
        var pages = text?.Split('\f');
        var positions = await ProcessRunner.RunAsync("pdftotext", ["-bbox-layout", "-enc", "UTF-8", _path, "-"], cancellationToken);
        var words = positions.ExitCode == 0 ? TextLayerWords.Parse(positions.StandardOutput) : null;
        return new TextLayer(layout, pages is not null && pages.Length == PageCount + 1 ? pages[..PageCount].Select(p => p.TrimEnd()).ToArray() : null, words);
    }

    /// <summary>A length in points as whole pixels at <paramref name="dpi"/>, as pdftoppm sizes its pages.</summary>
    public static int PixelsAt(double points, int dpi) => (int)Math.Ceiling((points * dpi / 72.0) - 1e-6);

    /// <summary>pdftotext's output for the pages that <paramref name="range"/> selects (all when empty); null when it fails.</summary>
    private async Task<string?> ExtractText(string[] range, bool layout, CancellationToken cancellationToken)
    {
        string[] args = [.. (layout ? new[] { "-layout" } : []), .. range, "-enc", "UTF-8", _path, "-"];
        var result = await ProcessRunner.RunAsync("pdftotext", args, cancellationToken);
        return result.ExitCode != 0 ? null : range.Length == 0 ? result.StandardOutput : result.StandardOutput.Replace("\f", string.Empty).TrimEnd();
    }

    /// <summary>The text extraction mode chosen for the document, its pages' texts when they split cleanly, and their words with positions.</summary>
    private sealed record TextLayer(bool Layout, string[]? Pages, IReadOnlyList<IReadOnlyList<TextBlock>>? Words);

    /// <summary>The requested DPI, lowered so the rendered page stays within the pixel budget.</summary>
    public static int DpiWithinBudget(double widthPt, double heightPt, int dpi, long maxPixels)
    {
        var squareInches = widthPt / 72.0 * (heightPt / 72.0);
        if (squareInches <= 0)
        {
            return dpi;
        }

        var limit = (int)Math.Floor(Math.Sqrt(maxPixels / squareInches));
        return Math.Max(10, Math.Min(dpi, limit));
    }

    private static string Explain(string stderr)
    {
        if (stderr.Contains("Incorrect password", StringComparison.OrdinalIgnoreCase))
        {
            return "the PDF is encrypted and needs a password";
        }

        if (stderr.Contains("May not be a PDF", StringComparison.OrdinalIgnoreCase) ||
            stderr.Contains("trailer", StringComparison.OrdinalIgnoreCase) ||
            stderr.Contains("xref", StringComparison.OrdinalIgnoreCase))
        {
            return $"the PDF is malformed or corrupt ({FirstLine(stderr)})";
        }

        return $"the PDF could not be read ({FirstLine(stderr)})";
    }

    /// <summary>pdftoppm's options for gray pages <paramref name="first"/> to <paramref name="last"/> at <paramref name="dpi"/>.</summary>
    internal static string[] RenderArguments(int dpi, int first, int last) =>
    [
        "-r", dpi.ToString(CultureInfo.InvariantCulture), "-gray",
        "-f", first.ToString(CultureInfo.InvariantCulture), "-l", last.ToString(CultureInfo.InvariantCulture),
    ];

    /// <summary>The first line of a helper program's error output, for an error message.</summary>
    public static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return string.IsNullOrEmpty(line) ? "no detail" : line;
    }

    [GeneratedRegex(@"^Page\s+\d+\s+size:\s+([\d.]+)\s+x\s+([\d.]+)\s+pts", RegexOptions.Multiline)]
    private static partial Regex PageSizeLine();

    public void Dispose()
    {
        Interlocked.Exchange(ref _raster, null)?.Dispose();
        _scans.Dispose();
        try
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
