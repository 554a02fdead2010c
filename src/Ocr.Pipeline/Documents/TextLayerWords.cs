using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Documents;

/// <summary>
/// The words of a PDF's text layer with their positions, from poppler's `pdftotext
/// -bbox-layout` (blocks of lines of words, in points), put in the order of the page's text and
/// turned into the page model in pixels at the page's DPI.
/// </summary>
public static partial class TextLayerWords
{
    /// <summary>Each page's blocks (index 0 is page 1), boxes in points.</summary>
    public static IReadOnlyList<IReadOnlyList<TextBlock>> Parse(string bboxLayout)
    {
        var pages = new List<IReadOnlyList<TextBlock>>();
        foreach (Match page in PageElement().Matches(bboxLayout))
        {
            var blocks = new List<TextBlock>();
            foreach (Match block in BlockElement().Matches(page.Groups[1].Value))
            {
                var lines = new List<TextLine>();
                foreach (Match line in LineElement().Matches(block.Groups[1].Value))
                {
                    var words = WordElement().Matches(line.Groups[1].Value)
                        .Select(w => new TextWord(WebUtility.HtmlDecode(w.Groups[5].Value).Trim(), 1.0, BoxOf(w)))
                        .Where(w => w.Text.Length > 0)
                        .ToList();
                    if (words.Count > 0)
                    {
                        lines.Add(TextLine.Of(words));
                    }
                }

                if (lines.Count > 0)
                {
                    blocks.Add(TextBlock.Of(lines));
                }
            }

            pages.Add(blocks);
        }

        return pages;
    }

    /// <summary>
    /// The page's words in pixels at <paramref name="dpi"/>, in the order of <paramref name="pageText"/>
    /// (poppler's text of the page, in whichever mode was chosen): each line of the text becomes
    /// a line of its words, a blank line ends a block. Each word of the text takes the topmost
    /// unused word of the same spelling, so the words always give the page's text back.
    /// </summary>
    public static IReadOnlyList<TextBlock> InTextOrder(string pageText, IReadOnlyList<TextBlock> blocksInPoints, int dpi)
    {
        var scale = dpi / 72.0;
        var unused = blocksInPoints.SelectMany(b => b.Lines).SelectMany(l => l.Words)
            .GroupBy(w => w.Text, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new Queue<TextWord>(g.OrderBy(w => w.Box.Y0 + w.Box.Y1).ThenBy(w => w.Box.X0)), StringComparer.Ordinal);
        var blocks = new List<TextBlock>();
        var lines = new List<TextLine>();
        foreach (var textLine in pageText.Split('\n'))
        {
            var words = new List<TextWord>();
            foreach (var token in textLine.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (unused.TryGetValue(token, out var candidates) && candidates.TryDequeue(out var word))
                {
                    words.Add(word with { Box = ScaleBox(word.Box, scale) });
                }
            }

            if (words.Count > 0)
            {
                lines.Add(TextLine.Of(words));
            }
            else if (textLine.Trim().Length == 0 && lines.Count > 0)
            {
                blocks.Add(TextBlock.Of([.. lines]));
                lines.Clear();
            }
        }

        if (lines.Count > 0)
        {
            blocks.Add(TextBlock.Of(lines));
        }

        return blocks;
    }

    // Points are kept ×100 as integers until scaled to pixels.
    private const double Precision = 100;

    private static Box ScaleBox(Box points, double scale) =>
        new((int)Math.Floor(points.X0 / Precision * scale), (int)Math.Floor(points.Y0 / Precision * scale),
            (int)Math.Ceiling(points.X1 / Precision * scale), (int)Math.Ceiling(points.Y1 / Precision * scale));

    private static Box BoxOf(Match word)
    {
        int Coordinate(int group) => (int)Math.Round(double.Parse(word.Groups[group].Value, CultureInfo.InvariantCulture) * Precision);
        return new Box(Coordinate(1), Coordinate(2), Coordinate(3), Coordinate(4));
    }

    [GeneratedRegex(@"<page\b[^>]*>(.*?)</page>", RegexOptions.Singleline)]
    private static partial Regex PageElement();

    [GeneratedRegex(@"<block\b[^>]*>(.*?)</block>", RegexOptions.Singleline)]
    private static partial Regex BlockElement();

    [GeneratedRegex(@"<line\b[^>]*>(.*?)</line>", RegexOptions.Singleline)]
    private static partial Regex LineElement();

    [GeneratedRegex(@"<word xMin=""([-\d.]+)"" yMin=""([-\d.]+)"" xMax=""([-\d.]+)"" yMax=""([-\d.]+)"">(.*?)</word>", RegexOptions.Singleline)]
    private static partial Regex WordElement();
}
