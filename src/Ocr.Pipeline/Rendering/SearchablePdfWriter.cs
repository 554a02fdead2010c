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
    private const double Descent = 0.2;

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
                var direction = TextDirection.Of(page.Rotation);
                foreach (var (line, type) in page.Blocks?.SelectMany(block => TypeBoxes(block, direction)) ?? [])
                {
                    for (var i = 0; i < line.Words.Count; i++)
                    {
                        var word = line.Words[i];
                        AppendWord(content, word.Text, word.Box, type, direction, scale, height);
                        if (i + 1 < line.Words.Count && Filler(word.Box, line.Words[i + 1].Box, type, direction) is { IsEmpty: false } gap)
                        {
                            AppendWord(content, WideGapFiller, gap, type, direction, scale, height);
                        }
                    }
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

    /// <summary>
    /// One word, set in its line's size on its line's baseline (words of a line that each sat on
    /// their own box would wander up and down and break the line apart for text extraction),
    /// running the way the page's text runs on the image (a page read turned runs turned).
    /// </summary>
    private static void AppendWord(StringBuilder content, string text, Box box, Box line, TextDirection direction, double scale, double pageHeight)
    {
        var codes = new StringBuilder();
        var count = 0;
        foreach (var c in text)
        {
            if (!char.IsSurrogate(c) && (!char.IsControl(c) || text == WideGapFiller))
            {
                codes.Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                count++;
            }
        }

        if (count == 0 || box.IsEmpty)
        {
            return;
        }

        var across = direction.Sideways ? line.Width : line.Height;
        var along = direction.Sideways ? box.Height : box.Width;
        var size = Math.Max(1, across) * scale;
        var stretch = 100 * along * scale / (count * GlyphWidth * size);
        var descent = Descent * across;
        // The word's start on its baseline, in image pixels.
        var (x, y) = direction.Rotation switch
        {
            90 => (line.X0 + descent, (double)box.Y0),
            180 => (box.X1, line.Y0 + descent),
            270 => (line.X1 - descent, (double)box.Y1),
            _ => ((double)box.X0, line.Y1 - descent),
        };
        content.Append(CultureInfo.InvariantCulture,
            $"BT 3 Tr /F1 {N(size)} Tf {N(stretch)} Tz {direction.Matrix} {N(x * scale)} {N(pageHeight - (y * scale))} Tm <{codes}> Tj ET\n");
    }

    /// <summary>
    /// Each line with the box its type is set in: one size for the whole block (its lines'
    /// median), kept on each line's baseline side. Extractors join lines into one block only when
    /// their type sizes agree within a few percent; lines whose boxes differ by a descender or a
    /// bracket would otherwise each stand alone and be read out of order.
    /// </summary>
    private static IEnumerable<(TextLine Line, Box Type)> TypeBoxes(TextBlock block, TextDirection direction)
    {
        var sizes = block.Lines.Select(l => direction.Sideways ? l.Box.Width : l.Box.Height).Order().ToList();
        var size = sizes.Count == 0 ? 1 : Math.Max(1, sizes[sizes.Count / 2]);
        foreach (var line in block.Lines)
        {
            var b = line.Box;
            yield return (line, direction.Rotation switch
            {
                90 => b with { X1 = b.X0 + size },
                180 => b with { Y1 = b.Y0 + size },
                270 => b with { X0 = b.X1 - size },
                _ => b with { Y0 = b.Y1 - size },
            });
        }
    }

    /// <summary>
    /// Text extraction (poppler's reading order, and viewers built on it) cuts a line into
    /// columns wherever two words stand further apart than about a third of the type size, so
    /// the cells of a table row or a receipt's label and price would be read a column at a time.
    /// A wide gap is bridged by ASCII's unit separator (U+001F, the field separator: a character
    /// extractors keep, where they drop every Unicode space) stretched over it, leaving a small
    /// gap on each side so the words stay words: the row is then read as the row it is, and a
    /// table row copied from a viewer comes with its cells marked.
    /// </summary>
    private const string WideGapFiller = "\u001F";

    private const double WideGap = 0.6;
    private const double FillerMargin = 0.15;

    /// <summary>The stretch of a wide gap between two neighbouring words that the filler covers; empty for a word space.</summary>
    private static Box Filler(Box word, Box next, Box line, TextDirection direction)
    {
        var size = direction.Sideways ? line.Width : line.Height;
        var margin = (int)Math.Ceiling(FillerMargin * size);
        var (from, to) = direction.Rotation switch
        {
            90 => (word.Y1, next.Y0),
            180 => (next.X1, word.X0),
            270 => (next.Y1, word.Y0),
            _ => (word.X1, next.X0),
        };
        if (to - from < WideGap * size)
        {
            return default;
        }

        return direction.Sideways
            ? new Box(line.X0, from + margin, line.X1, to - margin)
            : new Box(from + margin, line.Y0, to - margin, line.Y1);
    }

    /// <summary>Which way text runs on the image of a page that was read turned <see cref="Rotation"/> degrees counter-clockwise.</summary>
    private sealed record TextDirection(int Rotation, string Matrix)
    {
        public bool Sideways => Rotation is 90 or 270;

        public static TextDirection Of(int rotation) => (((rotation % 360) + 360) % 360) switch
        {
            // Down the image, letters' tops to the right.
            90 => new(90, "0 -1 1 0"),
            // Leftwards, upside down.
            180 => new(180, "-1 0 0 -1"),
            // Up the image, letters' tops to the left.
            270 => new(270, "0 1 -1 0"),
            _ => new(0, "1 0 0 1"),
        };
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
