using System.Runtime.InteropServices;
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

    /// <summary>The layout of the recognition just run on <paramref name="api"/>, boxes mapped through <paramref name="frame"/>.</summary>
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
                words.Add(new TextWord(text, Math.Round(confidence, 4), frame.ToUpload(new Box(left, top, right, bottom))));
            }
            while (TesseractApi.TessResultIteratorNext(iterator, Word) != 0);

            CloseLine(words, lines);
            CloseBlock(lines, blocks);
            return blocks;
        }
        finally
        {
            TesseractApi.TessResultIteratorDelete(iterator);
        }
    }

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
