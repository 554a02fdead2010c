using System.Globalization;
using System.IO.Compression;
using System.Text;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Rendering;

/// <summary>A page image ready to embed: JPEG bytes (DCTDecode) or zlib-compressed rows (FlateDecode).</summary>
public sealed record PdfImage(byte[] Data, bool IsJpeg, int Width, int Height, int Components);

/// <summary>
/// Writes a PDF whose pages carry each page's image (when given) under invisible text (render
/// mode 3) laid word by word on the model's boxes: the font size is the line's height and the
/// horizontal scale stretches each word to its box's width, so a viewer's selection and
/// poppler's word boxes fall on the words. The font is a non-embedded CID font whose codes are
/// the characters' UTF-16 values (ToUnicode maps them back), each glyph half an em wide.
/// </summary>
public static class SearchablePdfWriter
{
    // A page image that says no resolution is taken as scanned at this.
    public const int AssumedDpi = 300;

    private const double GlyphWidth = 0.5;
    private const double Descent = TextRuns.Descent;

    /// <summary>The PDF; <paramref name="imageOf"/> gives a page's image or null (a text layer alone, for overlaying).</summary>
    public static byte[] Render(IReadOnlyList<PageModel> pages, Func<PageModel, PdfImage?> imageOf, Func<PageModel, bool>? withText = null)
    {
        var pdf = new PdfObjects();
        var catalog = pdf.Reserve();
        var pageTree = pdf.Reserve();
        var font = WriteFont(pdf);
        var pageIds = new List<int>();
        foreach (var page in pages)
        {
            var scale = 72.0 / (page.Dpi ?? AssumedDpi);
            var (width, height) = (page.Width * scale, page.Height * scale);
            var content = new StringBuilder();
            var resources = new StringBuilder($"/Font << /F1 {font} 0 R >>");
            if (imageOf(page) is { } image)
            {
                var imageId = pdf.Add(ImageDictionary(image), image.Data);
                resources.Append(CultureInfo.InvariantCulture, $" /XObject << /Im1 {imageId} 0 R >>");
                content.Append(CultureInfo.InvariantCulture, $"q {N(width)} 0 0 {N(height)} 0 0 cm /Im1 Do Q\n");
            }

            if (withText?.Invoke(page) ?? true)
            {
                foreach (var run in TextRuns.Of(page))
                {
                    AppendRun(content, run, scale, height);
                }
            }

            var contentId = pdf.Add("", Deflate(Encoding.ASCII.GetBytes(content.ToString())), "/Filter /FlateDecode");
            pageIds.Add(pdf.Add(string.Create(CultureInfo.InvariantCulture,
                $"<< /Type /Page /Parent {pageTree} 0 R /MediaBox [0 0 {N(width)} {N(height)}] /Resources << {resources} >> /Contents {contentId} 0 R >>")));
        }

        pdf.Set(pageTree, $"<< /Type /Pages /Kids [{string.Join(' ', pageIds.Select(id => $"{id} 0 R"))}] /Count {pageIds.Count} >>");
        pdf.Set(catalog, $"<< /Type /Catalog /Pages {pageTree} 0 R >>");
        return pdf.Write(catalog);
    }

    /// <summary>One run as invisible text: its type size, stretched to its length, turned its way.</summary>
    private static void AppendRun(StringBuilder content, TextRun run, double scale, double pageHeight)
    {
        var codes = new StringBuilder();
        var count = 0;
        foreach (var c in run.Text)
        {
            if (!char.IsSurrogate(c) && (!char.IsControl(c) || run.Text == TextRuns.WideGapFiller))
            {
                codes.Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                count++;
            }
        }

        if (count == 0 || run.Length <= 0)
        {
            return;
        }

        var size = run.Size * scale;
        var stretch = 100 * run.Length * scale / (count * GlyphWidth * size);
        // Clockwise on the image is clockwise on the page too, with y up: the text matrix turns by -angle.
        var radians = run.Angle * Math.PI / 180;
        var (cos, sin) = (Math.Cos(radians), Math.Sin(radians));
        content.Append(CultureInfo.InvariantCulture,
            $"BT 3 Tr /F1 {N(size)} Tf {N(stretch)} Tz {N(cos)} {N(-sin)} {N(sin)} {N(cos)} {N(run.X * scale)} {N(pageHeight - (run.Y * scale))} Tm <{codes}> Tj ET\n");
    }

    private static int WriteFont(PdfObjects pdf)
    {
        var descriptor = pdf.Add(string.Create(CultureInfo.InvariantCulture,
            $"<< /Type /FontDescriptor /FontName /GlyphLess /Flags 5 /FontBBox [0 {-Descent * 1000} {GlyphWidth * 1000} {(1 - Descent) * 1000}] /ItalicAngle 0 /Ascent {(1 - Descent) * 1000} /Descent {-Descent * 1000} /CapHeight {(1 - Descent) * 1000} /StemV 80 >>"));
        var cidFont = pdf.Add(string.Create(CultureInfo.InvariantCulture,
            $"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /GlyphLess /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor {descriptor} 0 R /DW {GlyphWidth * 1000} /CIDToGIDMap /Identity >>"));
        const string cmap = """
            /CIDInit /ProcSet findresource begin
            12 dict begin
            begincmap
            /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
            /CMapName /Adobe-Identity-UCS def
            /CMapType 2 def
            1 begincodespacerange
            <0000> <FFFF>
            endcodespacerange
            1 beginbfrange
            <0000> <FFFF> <0000>
            endbfrange
            endcmap
            CMapName currentdict /CMap defineresource pop
            end
            end
            """;
        var toUnicode = pdf.Add("", Encoding.ASCII.GetBytes(cmap));
        return pdf.Add($"<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLess /Encoding /Identity-H /DescendantFonts [{cidFont} 0 R] /ToUnicode {toUnicode} 0 R >>");
    }

    private static string ImageDictionary(PdfImage image) => string.Create(CultureInfo.InvariantCulture,
        $"/Type /XObject /Subtype /Image /Width {image.Width} /Height {image.Height} /ColorSpace /{(image.Components == 3 ? "DeviceRGB" : "DeviceGray")} /BitsPerComponent 8 /Filter /{(image.IsJpeg ? "DCTDecode" : "FlateDecode")}");

    /// <summary>zlib-compressed bytes (PDF's FlateDecode).</summary>
    public static byte[] Deflate(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Fastest))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    private static string N(double value) => Math.Round(value, 3).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Numbered objects and the cross-reference table that finds them.</summary>
    private sealed class PdfObjects
    {
        private readonly List<(string Dictionary, byte[]? Stream, string StreamKeys)?> _objects = [];

        public int Reserve()
        {
            _objects.Add(null);
            return _objects.Count;
        }

        public void Set(int id, string dictionary) => _objects[id - 1] = (dictionary, null, "");

        public int Add(string dictionary) => Add(dictionary, null);

        /// <summary>A stream object: <paramref name="dictionary"/> holds its keys without the brackets.</summary>
        public int Add(string dictionary, byte[]? stream, string streamKeys = "")
        {
            _objects.Add((dictionary, stream, streamKeys));
            return _objects.Count;
        }

        public byte[] Write(int root)
        {
            using var output = new MemoryStream();
            void Text(string s) => output.Write(Encoding.ASCII.GetBytes(s));
            Text("%PDF-1.5\n");
            output.Write([(byte)'%', 0xE2, 0xE3, 0xCF, 0xD3, (byte)'\n']);
            var offsets = new long[_objects.Count];
            for (var i = 0; i < _objects.Count; i++)
            {
                offsets[i] = output.Position;
                var (dictionary, stream, keys) = _objects[i] ?? throw new InvalidOperationException($"object {i + 1} reserved but never written");
                Text($"{i + 1} 0 obj\n");
                if (stream is null)
                {
                    Text(dictionary);
                }
                else
                {
                    Text(string.Create(CultureInfo.InvariantCulture, $"<< {dictionary} {keys} /Length {stream.Length} >>\nstream\n"));
                    output.Write(stream);
                    Text("\nendstream");
                }

                Text("\nendobj\n");
            }

            var xref = output.Position;
            Text(string.Create(CultureInfo.InvariantCulture, $"xref\n0 {_objects.Count + 1}\n0000000000 65535 f \n"));
            foreach (var offset in offsets)
            {
                Text(string.Create(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n"));
            }

            Text(string.Create(CultureInfo.InvariantCulture, $"trailer\n<< /Size {_objects.Count + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n"));
            return output.ToArray();
        }
    }
}
