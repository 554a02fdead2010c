using OpenCvSharp;

namespace Ocr.Pipeline.Neural;

/// <summary>
/// Puts text boxes in reading order by recursive XY-cut: a column gutter splits a region into
/// columns read one after the other (only columns of running text: several lines each, each
/// column a fair share of the width and its lines filling it — a receipt's narrow price column
/// does not qualify and is read row by row with its labels); otherwise horizontal gaps split it
/// into blocks; a region that cannot be cut is read as rows, left to right.
/// </summary>
public static class ReadingOrder
{
    public static List<List<T>> Arrange<T>(IReadOnlyList<T> items, Func<T, Rect> bounds)
    {
        var rows = new List<List<T>>();
        if (items.Count == 0)
        {
            return rows;
        }

        var lineHeight = Median(items.Select(i => (double)bounds(i).Height));
        Cut(items.ToList(), bounds, Math.Max(4, lineHeight), rows, depth: 0);
        return rows;
    }

    private static void Cut<T>(List<T> items, Func<T, Rect> bounds, double lineHeight, List<List<T>> rows, int depth)
    {
        if (items.Count > 1 && depth < 64)
        {
            var columns = SplitAtGutter(items, bounds, lineHeight);
            if (columns is not null)
            {
                foreach (var column in columns)
                {
                    Cut(column, bounds, lineHeight, rows, depth + 1);
                }

                return;
            }

            // One cut at the widest horizontal gap: the parts may then split into columns of their own.
            var blocks = SplitAtGaps(items, i => (bounds(i).Top, bounds(i).Bottom), lineHeight * 0.8);
            if (blocks.Count > 1)
            {
                var widest = Enumerable.Range(1, blocks.Count - 1)
                    .MaxBy(k => blocks[k].Min(i => bounds(i).Top) - blocks[k - 1].Max(i => bounds(i).Bottom));
                Cut(blocks.Take(widest).SelectMany(b => b).ToList(), bounds, lineHeight, rows, depth + 1);
                Cut(blocks.Skip(widest).SelectMany(b => b).ToList(), bounds, lineHeight, rows, depth + 1);
                return;
            }
        }

        rows.AddRange(Rows(items, bounds));
    }

    /// <summary>Splits at the widest vertical gap when it separates two columns of set text.</summary>
    private static List<List<T>>? SplitAtGutter<T>(List<T> items, Func<T, Rect> bounds, double lineHeight)
    {
        var pieces = SplitAtGaps(items, i => (bounds(i).Left, bounds(i).Right), lineHeight);
        if (pieces.Count < 2)
        {
            return null;
        }

        var regionWidth = items.Max(i => bounds(i).Right) - items.Min(i => bounds(i).Left);
        foreach (var side in pieces)
        {
            var width = side.Max(i => bounds(i).Right) - side.Min(i => bounds(i).Left);
            var lineWidths = side.Select(i => (double)bounds(i).Width);
            if (side.Count < 3 || width < 0.6 * regionWidth / pieces.Count || Median(lineWidths) < 0.5 * width)
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
