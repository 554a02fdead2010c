namespace Ocr.Pipeline.Documents;

/// <summary>
/// Tells a page set in text columns from a form or table, looking at poppler's layout text:
/// columns leave a gutter of spaces at the same place on most long lines, near the middle.
/// </summary>
public static class ColumnLayout
{
    private const int MinimumGap = 3;

    public static bool HasTextColumns(string layoutText)
    {
        var lines = layoutText.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count < 10)
        {
            return false;
        }

        var width = lines.Max(l => l.Length);
        var longLines = lines.Where(l => l.Length >= width * 0.6).ToList();
        if (longLines.Count < 10)
        {
            return false;
        }

        // For each column position in the middle third, the share of long lines with a gap there.
        var best = 0.0;
        for (var column = width / 3; column <= 2 * width / 3; column++)
        {
            var withGap = longLines.Count(l => IsGapAt(l, column));
            best = Math.Max(best, (double)withGap / longLines.Count);
        }

        // Text lines must also be mostly prose (few gaps elsewhere), or it is a table.
        var gapsPerLine = longLines.Average(CountGaps);
        return best >= 0.6 && gapsPerLine <= 1.1;
    }

    /// <summary>
    /// Decided per document, since title pages and tables inside a column-set paper would
    /// otherwise flip the mode page by page: columns when most text pages have them.
    /// </summary>
    public static bool DocumentHasTextColumns(string layoutTextOfAllPages)
    {
        var pages = layoutTextOfAllPages.Split('\f').Where(p => p.Trim().Length > 0).ToList();
        return pages.Count > 0 && pages.Count(HasTextColumns) * 2 >= pages.Count;
    }

    private static bool IsGapAt(string line, int column)
    {
        if (column >= line.Length)
        {
            return false;
        }

        var start = column;
        while (start > 0 && line[start - 1] == ' ')
        {
            start--;
        }

        var end = column;
        while (end < line.Length && line[end] == ' ')
        {
            end++;
        }

        return end - start >= MinimumGap && start > 0;
    }

    private static double CountGaps(string line)
    {
        var gaps = 0;
        var run = 0;
        foreach (var c in line.TrimStart())
        {
            if (c == ' ')
            {
                run++;
            }
            else
            {
                if (run >= MinimumGap)
                {
                    gaps++;
                }

                run = 0;
            }
        }

        return gaps;
    }
}
