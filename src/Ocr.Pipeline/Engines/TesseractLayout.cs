using System.Runtime.InteropServices;
using OpenCvSharp;
using Ocr.Pipeline.Native;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Engines;

/// <summary>Paragraphs, lines and words of Tesseract's last recognition, from its result iterator.</summary>
internal static class TesseractLayout
{
    // Page iterator levels (tesseract/publictypes.h, PageIteratorLevel).
    private const int Paragraph = 1;
    private const int TextLineLevel = 2;
    private const int Word = 3;

    /// <summary>
    /// The layout of the recognition just run on <paramref name="api"/> in reading order (put
    /// in order in the frame read, where lines lie across), boxes then mapped through <paramref name="frame"/>.
    /// </summary>
    public static IReadOnlyList<TextBlock> Read(IntPtr api, PageFrame frame)
    {
        var blocks = new List<TextBlock>();
        var iterator = TesseractApi.TessBaseAPIGetIterator(api);
        if (iterator == IntPtr.Zero)
        {
            return blocks;
        }

        try
        {
            var page = TesseractApi.TessResultIteratorGetPageIterator(iterator);
            var lines = new List<TextLine>();
            var words = new List<TextWord>();
            do
            {
                if (TesseractApi.TessPageIteratorIsAtBeginningOf(page, TextLineLevel) != 0)
                {
                    CloseLine(words, lines);
                }

                if (TesseractApi.TessPageIteratorIsAtBeginningOf(page, Paragraph) != 0)
                {
                    CloseBlock(lines, blocks);
                }

                var pointer = TesseractApi.TessResultIteratorGetUTF8Text(iterator, Word);
                if (pointer == IntPtr.Zero)
                {
                    continue;
                }

                var text = Marshal.PtrToStringUTF8(pointer)?.Trim() ?? string.Empty;
                TesseractApi.TessDeleteText(pointer);
                if (text.Length == 0 || TesseractApi.TessPageIteratorBoundingBox(page, Word, out var left, out var top, out var right, out var bottom) == 0)
                {
                    continue;
                }

                var confidence = Math.Clamp(TesseractApi.TessResultIteratorConfidence(iterator, Word) / 100.0, 0, 1);
                words.Add(new TextWord(text, Math.Round(confidence, 4), new Box(left, top, right, bottom)));
            }
            while (TesseractApi.TessResultIteratorNext(iterator, Word) != 0);

            CloseLine(words, lines);
            CloseBlock(lines, blocks);
            return [.. InReadingOrder(blocks).Select(block => Mapped(block, frame))];
        }
        finally
        {
            TesseractApi.TessResultIteratorDelete(iterator);
        }
    }

    /// <summary>
    /// The blocks with their lines put in reading order. Tesseract orders blocks by its own
    /// layout analysis, which reads a heading below two columns between them and a receipt's
    /// labels apart from their values. Here the page is cut into columns and bands where its
    /// gaps allow (<see cref="ReadingOrder"/>); a part that cannot be cut keeps Tesseract's order,
    /// except that short lines of different blocks sharing a row (a label and its value, a
    /// table's cells) are joined into one. A block keeps Tesseract's paragraph for as long as
    /// its lines still follow one another.
    /// </summary>
    public static IReadOnlyList<TextBlock> InReadingOrder(IReadOnlyList<TextBlock> blocks)
    {
        var lines = blocks
            .SelectMany((block, index) => block.Lines.Select(line => new PlacedLine(line, index, !ReadingOrder.IsRunningText(block.Lines.Select(l => l.Text.Length)))))
            .Select((placed, order) => placed with { Order = order })
            .ToList();
        var arranged = new List<TextBlock>();
        var current = new List<TextLine>();
        var currentBlock = -1;
        foreach (var row in ReadingOrder.Arrange(lines, l => RectOf(l.Line.Box), l => l.Line.Text.Length, InTesseractOrder))
        {
            if (current.Count > 0 && row[0].Block != currentBlock)
            {
                arranged.Add(TextBlock.Of([.. current]));
                current.Clear();
            }

            current.Add(row.Count == 1 ? row[0].Line : TextLine.Of([.. row.SelectMany(r => r.Line.Words)]));
            currentBlock = row[0].Block;
        }

        if (current.Count > 0)
        {
            arranged.Add(TextBlock.Of(current));
        }

        return arranged;
    }

    private sealed record PlacedLine(TextLine Line, int Block, bool InShortLines, int Order = 0);

    private static IEnumerable<List<PlacedLine>> InTesseractOrder(List<PlacedLine> region, Func<PlacedLine, Rect> bounds)
    {
        var rows = new List<List<PlacedLine>>();
        foreach (var line in region.OrderBy(l => l.Order))
        {
            var row = line.InShortLines
                ? rows.FindLast(r => r[0].InShortLines && r.All(m => m.Block != line.Block) && ReadingOrder.ShareRow(bounds(r[0]), bounds(line)))
                : null;
            if (row is null)
            {
                rows.Add([line]);
            }
            else
            {
                row.Add(line);
            }
        }

        return rows.Select(r => r.OrderBy(m => bounds(m).Left).ToList());
    }

    private static Rect RectOf(Box box) => new(box.X0, box.Y0, box.Width, box.Height);

    /// <summary>A page's text as Tesseract writes it: a line a line, a blank line between blocks.</summary>
    public static string TextOf(IReadOnlyList<TextBlock> blocks) =>
        string.Join("\n\n", blocks.Select(block => string.Join('\n', block.Lines.Select(line => line.Text))));

    private static TextBlock Mapped(TextBlock block, PageFrame frame) =>
        TextBlock.Of([.. block.Lines.Select(line => TextLine.Of([.. line.Words.Select(word => word with { Box = frame.ToUpload(word.Box) })]))]);

    private static void CloseLine(List<TextWord> words, List<TextLine> lines)
    {
        if (words.Count > 0)
        {
            lines.Add(TextLine.Of([.. words]));
            words.Clear();
        }
    }

    private static void CloseBlock(List<TextLine> lines, List<TextBlock> blocks)
    {
        if (lines.Count > 0)
        {
            blocks.Add(TextBlock.Of([.. lines]));
            lines.Clear();
        }
    }
}
