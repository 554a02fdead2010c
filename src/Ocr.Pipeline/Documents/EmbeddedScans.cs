using OpenCvSharp;
using Ocr.Pipeline.Imaging;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Graphics.Colors;
using UglyToad.PdfPig.Graphics.Operations.SpecialGraphicsState;
using UglyToad.PdfPig.Tokens;
using PigDocument = UglyToad.PdfPig.PdfDocument;

namespace Ocr.Pipeline.Documents;

/// <summary>
/// The scanned pages of a PDF read from the PDF itself. A page that is one image drawn over the
/// whole page at the render DPI (<see cref="ScanPlacement"/>), in gray, RGB or a palette of
/// either, JPEG-, Flate- or CCITT-coded, is decoded in process; pdftoppm would only draw the same
/// samples, at about 0.3 s of CPU for a 300-dpi Flate colour page against 0.05 s here. Every other
/// page, and every page of a PDF that PdfPig cannot parse, is left to pdftoppm. PdfPig reads the
/// file through a stream, object by object; it is not thread-safe, so one page is read at a time.
/// </summary>
internal sealed class EmbeddedScans : IDisposable
{
    private readonly string _path;
    private readonly Lock _gate = new();
    private readonly HashSet<(int Page, int Dpi)> _notScans = [];
    private FileStream? _file;
    private PigDocument? _document;
    private bool _unreadable;

    public EmbeddedScans(string path) => _path = path;

    /// <summary>Pages read from their own scan so far.</summary>
    public int PagesRead { get; private set; }

    /// <summary>Whether the page is a plain scan at <paramref name="dpi"/> that this reader can decode.</summary>
    public bool IsScan(int pageNumber, int dpi)
    {
        lock (_gate)
        {
            return Scan(pageNumber, dpi) is not null;
        }
    }

    /// <summary>The page's own pixels as an 8-bit gray page at <paramref name="dpi"/>; null when it is not a plain scan or does not decode.</summary>
    public PageImage? TryRead(int pageNumber, int dpi)
    {
        lock (_gate)
        {
            if (Scan(pageNumber, dpi) is not { } image)
            {
                return null;
            }

            try
            {
                using var samples = Decode(image);
                if (samples is null)
                {
                    _notScans.Add((pageNumber, dpi));
                    return null;
                }

                using var drawn = ScanPixels.AsDrawn(samples);
                var page = PixelBridge.ToPage(drawn, dpi);
                PagesRead++;
                return page;
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException or ArgumentException or OpenCVException)
            {
                _notScans.Add((pageNumber, dpi));
                return null;
            }
        }
    }

    /// <summary>
    /// The page's one image when the page is a plain scan at <paramref name="dpi"/> in a form this
    /// reader decodes. Only the answer no is kept: the image (with its coded samples) is not held
    /// between asking and reading.
    /// </summary>
    private IPdfImage? Scan(int pageNumber, int dpi)
    {
        if (_notScans.Contains((pageNumber, dpi)))
        {
            return null;
        }

        var image = Open() is { } document ? PlainScan(document, pageNumber, dpi) : null;
        if (image is null)
        {
            _notScans.Add((pageNumber, dpi));
        }

        return image;
    }

    private PigDocument? Open()
    {
        if (_document is not null || _unreadable)
        {
            return _document;
        }

        try
        {
            _file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024);
            _document = PigDocument.Open(_file);
        }
        catch (Exception)
        {
            // Whatever PdfPig cannot parse (a damaged or encrypted file) poppler may still render.
            _unreadable = true;
            _file?.Dispose();
            _file = null;
        }

        return _document;
    }

    private static IPdfImage? PlainScan(PigDocument document, int pageNumber, int dpi)
    {
        try
        {
            var page = document.GetPage(pageNumber);
            if (page.Rotation.Value != 0 || page.NumberOfImages != 1 || page.Letters.Count != 0 || page.Paths.Count != 0 || page.GetAnnotations().Any())
            {
                return null;
            }

            var matrix = ScanPlacement.SingleDrawMatrix(page.Operations.Select(o =>
                new ScanPlacement.Operation(o.Operator, o is ModifyCurrentTransformationMatrix cm ? cm.Value : null)));
            var image = page.GetImages().Single();
            var crop = page.CropBox.Bounds;
            var box = new ScanPlacement.Box(crop.Left, crop.Bottom, crop.Width, crop.Height);
            return matrix is not null && !image.IsInlineImage
                   && ScanPlacement.FillsPage(matrix, box, image.WidthInSamples, image.HeightInSamples, dpi)
                   && Decodable(image)
                ? image
                : null;
        }
        catch (Exception)
        {
            // A page PdfPig cannot follow is the renderer's.
            return null;
        }
    }

    private static bool Decodable(IPdfImage image)
    {
        var dictionary = image.ImageDictionary;
        if (image.IsImageMask || image.MaskImage is not null || dictionary.ContainsKey(NameToken.Smask) || dictionary.ContainsKey(NameToken.Mask)
            || !DefaultDecode(image) || Filters(image) is not { Count: <= 1 } filters)
        {
            return false;
        }

        // Everything Decode would refuse is refused here, so a pdftoppm run is planned past no page that ends up rendered after all.
        return Layout(image) is { } layout && (filters.Count == 0 ? null : filters[0]) switch
        {
            null or "CCITTFaxDecode" => true,
            "DCTDecode" => layout.GrayPalette is null, // an indexed JPEG does not exist
            "FlateDecode" => FlateParameters(image, layout) is not null,
            _ => false,
        };
    }

    private static Mat? Decode(IPdfImage image)
    {
        var layout = Layout(image)!;
        var filter = Filters(image)!.FirstOrDefault();
        switch (filter)
        {
            case "DCTDecode":
                // A JPEG's own colour transform gives its gray levels.
                return ScanPixels.FromJpeg(image.RawMemory.Span, layout.Width, layout.Height);
            case "FlateDecode":
                return ScanPixels.FromFlate(image.RawMemory, layout, pngPredictor: FlateParameters(image, layout) >= 10);
            case "CCITTFaxDecode":
                // Fax pages are 1 bit per pixel: decoded whole they are an eighth of the gray page.
                return image.TryGetBytesAsMemory(out var decoded) ? ScanPixels.FromSamples(decoded.Span, layout) : null;
            case null:
                return ScanPixels.FromSamples(image.RawMemory.Span, layout);
            default:
                return null;
        }
    }

    /// <summary>The Flate stream's predictor (1: none, 10-15: PNG rows) when its parameters match the image; null otherwise (TIFF's predictor 2 included).</summary>
    private static int? FlateParameters(IPdfImage image, SampleLayout layout)
    {
        var parameters = image.ImageDictionary.TryGet(NameToken.DecodeParms, out var token) ? token switch
        {
            DictionaryToken d => d,
            ArrayToken { Length: 1 } a => a.Data[0] as DictionaryToken,
            _ => null,
        } : null;
        if (parameters is null)
        {
            return 1;
        }

        var predictor = Number(parameters, NameToken.Predictor) ?? 1;
        var colors = Number(parameters, NameToken.Colors) ?? 1;
        var bits = Number(parameters, NameToken.BitsPerComponent) ?? 8;
        var columns = Number(parameters, NameToken.Columns) ?? 1;
        return predictor == 1 || (predictor is >= 10 and <= 15 && colors == layout.Components && bits == layout.BitsPerComponent && columns == layout.Width)
            ? predictor
            : null;
    }

    private static int? Number(DictionaryToken dictionary, NameToken key) =>
        dictionary.TryGet(key, out var token) && token is NumericToken number ? number.Int : null;

    private static IReadOnlyList<string>? Filters(IPdfImage image)
    {
        if (!image.ImageDictionary.TryGet(NameToken.Filter, out var token))
        {
            return [];
        }

        return token switch
        {
            NameToken name => [name.Data],
            ArrayToken array when array.Data.All(t => t is NameToken) => array.Data.Select(t => ((NameToken)t).Data).ToList(),
            _ => null,
        };
    }

    private static bool DefaultDecode(IPdfImage image)
    {
        var decode = image.Decode;
        if (decode is null || decode.Count == 0)
        {
            return true;
        }

        var top = image.ColorSpaceDetails is IndexedColorSpaceDetails ? (1 << image.BitsPerComponent) - 1 : 1.0;
        for (var i = 0; i < decode.Count; i++)
        {
            if (Math.Abs(decode[i] - (i % 2 == 0 ? 0 : top)) > 1e-9)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The image's sample layout for gray, RGB or an indexed palette of either; null for other colour spaces (CMYK, ICC profiles, Lab, separations).</summary>
    private static SampleLayout? Layout(IPdfImage image)
    {
        var (width, height, bits) = (image.WidthInSamples, image.HeightInSamples, image.BitsPerComponent);
        SampleLayout? layout = image.ColorSpaceDetails switch
        {
            DeviceGrayColorSpaceDetails => new SampleLayout(width, height, 1, bits),
            DeviceRgbColorSpaceDetails => new SampleLayout(width, height, 3, bits),
            IndexedColorSpaceDetails indexed => GrayPalette(indexed) is { } palette ? new SampleLayout(width, height, 1, bits, palette) : null,
            _ => null,
        };
        return layout is { IsSupported: true } ? layout : null;
    }

    private static byte[]? GrayPalette(IndexedColorSpaceDetails indexed)
    {
        var table = indexed.ColorTable;
        var components = indexed.BaseColorSpace switch
        {
            DeviceGrayColorSpaceDetails => 1,
            DeviceRgbColorSpaceDetails => 3,
            _ => 0,
        };
        if (components == 0 || table.Length < (indexed.HiVal + 1) * components)
        {
            return null;
        }

        // Indices past the palette's end take its last entry, as poppler clips them.
        var palette = new byte[256];
        var layout = new SampleLayout(1, 1, components, 8);
        for (var i = 0; i < palette.Length; i++)
        {
            var entry = Math.Min(i, indexed.HiVal) * components;
            ScanPixels.ToGrayRow(table.Slice(entry, components), palette.AsSpan(i, 1), layout);
        }

        return palette;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _document?.Dispose();
            _file?.Dispose();
            _document = null;
            _file = null;
            _unreadable = true;
        }
    }
}
