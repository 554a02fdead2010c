using OpenCvSharp;

namespace Ocr.Pipeline.Pages;

/// <summary>
/// Puts text boxes in reading order by recursive XY-cut: a column gutter splits a region into
/// columns read one after the other (only columns of running text: several lines each, each
/// column a fair share of the width, its lines filling it and long — a receipt's price column,
/// or its labels beside their values, does not qualify and is read row by row); otherwise horizontal gaps split it
/// into blocks; a region that cannot be cut is read as rows, left to right.
/// </summary>
public static class ReadingOrder
{
    // Letters on a median line of running text, at the least; a label, a price or a table cell has fewer.
    private const int RunningTextLetters = 20;

    /// <param name="letters">How many letters an item (a line) holds: columns are only cut apart where they are running text.</param>
    public static List<List<T>> Arrange<T>(IReadOnlyList<T> items, Func<T, Rect> bounds, Func<T, int> letters) => Arrange(items, bounds, letters, Rows);

    /// <param name="uncut">How a region that cannot be cut is read (by default as rows, left to right).</param>
    public static List<List<T>> Arrange<T>(
        IReadOnlyList<T> items, Func<T, Rect> bounds, Func<T, int> letters, Func<List<T>, Func<T, Rect>, IEnumerable<List<T>>> uncut)
    {
        var rows = new List<List<T>>();
        if (items.Count == 0)
        {
            return rows;
        }

        var lineHeight = Median(items.Select(i => (double)bounds(i).Height));
        Cut(items.ToList(), new Geometry<T>(bounds, letters, Math.Max(4, lineHeight)), uncut, rows, depth: 0);
        return rows;
    }

    /// <summary>Whether lines of these letter counts are long enough, most of them, to be running text rather than labels, prices or cells.</summary>
    public static bool IsRunningText(IEnumerable<int> lettersPerLine) => Median(lettersPerLine.Select(l => (double)l)) >= RunningTextLetters;

    private sealed record Geometry<T>(Func<T, Rect> Bounds, Func<T, int> Letters, double LineHeight);

    /// <summary>Whether two boxes overlap vertically by half the shorter one's height: parts of one row.</summary>
    public static bool ShareRow(Rect a, Rect b) => Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top) >= 0.5 * Math.Min(a.Height, b.Height);

    private static void Cut<T>(List<T> items, Geometry<T> geometry, Func<List<T>, Func<T, Rect>, IEnumerable<List<T>>> uncut, List<List<T>> rows, int depth)
    {
        var bounds = geometry.Bounds;
        if (items.Count > 1 && depth < 64)
        {
            var columns = SplitAtGutter(items, geometry);
            if (columns is not null)
            {
                foreach (var column in columns)
                {
                    Cut(column, geometry, uncut, rows, depth + 1);
                }

                return;
            }

            // One cut at the widest horizontal gap: the parts may then split into columns of their own.
            var blocks = SplitAtGaps(items, i => (bounds(i).Top, bounds(i).Bottom), geometry.LineHeight * 0.8);
            if (blocks.Count > 1)
            {
                var widest = Enumerable.Range(1, blocks.Count - 1)
                    .MaxBy(k => blocks[k].Min(i => bounds(i).Top) - blocks[k - 1].Max(i => bounds(i).Bottom));
                Cut(blocks.Take(widest).SelectMany(b => b).ToList(), geometry, uncut, rows, depth + 1);
                Cut(blocks.Skip(widest).SelectMany(b => b).ToList(), geometry, uncut, rows, depth + 1);
                return;
            }
        }

        rows.AddRange(uncut(items, bounds));
    }

    /// <summary>Splits at the widest vertical gap when it separates two columns of set text.</summary>
    private static List<List<T>>? SplitAtGutter<T>(List<T> items, Geometry<T> geometry)
    {
        var bounds = geometry.Bounds;
        var pieces = SplitAtGaps(items, i => (bounds(i).Left, bounds(i).Right), geometry.LineHeight);
        if (pieces.Count < 2)
        {
            return null;
        }

        var regionWidth = items.Max(i => bounds(i).Right) - items.Min(i => bounds(i).Left);
        foreach (var side in pieces)
        {
            var width = side.Max(i => bounds(i).Right) - side.Min(i => bounds(i).Left);
            var lineWidths = side.Select(i => (double)bounds(i).Width);
            if (side.Count < 3 || width < 0.6 * regionWidth / pieces.Count || Median(lineWidths) < 0.5 * width || !IsRunningText(side.Select(geometry.Letters)))
            {
                return null;
            }
        }

        return pieces;
    }

    /// <summary>Groups items whose [start, end) ranges overlap, in order along that axis; gaps narrower than <paramref name="minimumGap"/> don't split.</summary>
    private static List<List<T>> SplitAtGaps<T>(List<T> items, Func<T, (int Start, int End)> range, double minimumGap)
    {
        var sorted = items.OrderBy(i => range(i).Start).ToList();
        var groups = new List<List<T>>();
        var current = new List<T>();
        var reach = int.MinValue;
        foreach (var item in sorted)
        {
            var (start, end) = range(item);
            if (current.Count > 0 && start - reach >= minimumGap)
            {
                groups.Add(current);
                current = [];
            }

            current.Add(item);
            reach = Math.Max(reach, end);
        }

        groups.Add(current);
        return groups;
    }

    private static IEnumerable<List<T>> Rows<T>(List<T> items, Func<T, Rect> bounds)
    {
        var rows = new List<(double Top, double Bottom, List<T> Items)>();
        foreach (var item in items.OrderBy(i => bounds(i).Top + (bounds(i).Height / 2.0)))
        {
            var box = bounds(item);
            var placed = false;
            for (var r = rows.Count - 1; r >= 0 && r >= rows.Count - 3; r--)
            {
                var (top, bottom, members) = rows[r];
                var overlap = Math.Min(bottom, box.Bottom) - Math.Max(top, box.Top);
                if (overlap >= 0.5 * Math.Min(bottom - top, box.Height))
                {
                    members.Add(item);
                    rows[r] = (Math.Min(top, box.Top), Math.Max(bottom, box.Bottom), members);
                    placed = true;
                    break;
                }
            }

            if (!placed)
            {
                rows.Add((box.Top, box.Bottom, [item]));
            }
        }

        return rows.Select(r => r.Items.OrderBy(i => bounds(i).Left).ToList());
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }
}
