namespace Ocr.Pipeline.Pages;

/// <summary>
/// Groups lines already in reading order into blocks: a line joins the block above it when it
/// starts close below it and overlaps it sideways; a wider gap or a jump to another column
/// starts a new block.
/// </summary>
internal static class LineBlocks
{
    public static IReadOnlyList<TextBlock> Group(IReadOnlyList<TextLine> lines)
    {
        var blocks = new List<TextBlock>();
        var current = new List<TextLine>();
        foreach (var line in lines)
        {
            if (current.Count > 0 && !Continues(current[^1], line))
            {
                blocks.Add(TextBlock.Of([.. current]));
                current.Clear();
            }

            current.Add(line);
        }

        if (current.Count > 0)
        {
            blocks.Add(TextBlock.Of(current));
        }

        return blocks;
    }

    private static bool Continues(TextLine above, TextLine next)
    {
        var gap = next.Box.Y0 - above.Box.Y1;
        var height = Math.Max(1, Math.Min(above.Box.Height, next.Box.Height));
        var overlap = Math.Min(above.Box.X1, next.Box.X1) - Math.Max(above.Box.X0, next.Box.X0);
        return gap > -height && gap < height && overlap > 0;
    }
}
