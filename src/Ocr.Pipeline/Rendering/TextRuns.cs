using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Rendering;

/// <summary>
/// One piece of text to set on a page: it starts at (<see cref="X"/>, <see cref="Y"/>) on its
/// baseline, in pixels of the page, runs <see cref="Length"/> pixels in the direction
/// <see cref="Angle"/> (degrees, clockwise on the image, 0 = rightwards) in type
/// <see cref="Size"/> pixels tall.
/// </summary>
public sealed record TextRun(string Text, double X, double Y, double Length, double Size, double Angle);

/// <summary>
/// Where a page's words go when they are set as text (the searchable PDF's invisible layer):
/// along the direction the page's text runs on the image (its quarter turns and its tilt, both
/// undone when it was read), one type size per block (its lines' median thickness: extractors
/// join lines into a block only when their sizes agree), each word on its line's baseline, and
/// a filler over each wide gap within a line.
/// </summary>
public static class TextRuns
{
    /// <summary>
    /// Extractors cut a line into columns wherever words stand further apart than about a third
    /// of the type size, which reads a table row or a receipt's label and price a column at a
    /// time. A wide gap is bridged by ASCII's unit separator (U+001F, the field separator: a
    /// character extractors keep, where they drop every Unicode space), leaving a small gap on
    /// each side so the words stay words: the row is read as the row it is, and a row copied
    /// from a viewer comes with its cells marked.
    /// </summary>
    public const string WideGapFiller = "\u001F";

    // Of the type size: the share below the baseline, the gap a filler bridges, and the margin it leaves.
    public const double Descent = 0.2;
    private const double WideGap = 0.6;
    private const double FillerMargin = 0.15;

    // Tilts smaller than this are set level: the boxes cannot tell them apart.
    private const double LevelBelow = 0.3;

    public static IEnumerable<TextRun> Of(PageModel page)
    {
        var tilt = Math.Abs(page.DeskewAngle) >= LevelBelow ? page.DeskewAngle : 0;
        // Set level, the words of a long tilted line would step off each other's baselines and
        // extractors would cut the line; tilted, as on the image, a viewer's selection follows them.
        var angle = (((page.Rotation % 360) + 360) % 360) + tilt;
        var radians = angle * Math.PI / 180;
        var (along, down) = ((Math.Cos(radians), Math.Sin(radians)), (-Math.Sin(radians), Math.Cos(radians)));
        foreach (var block in page.Blocks ?? [])
        {
            var thickness = block.Lines.Select(l => Extent(l.Box, radians).Thickness).Order().ToList();
            var size = Math.Max(1, thickness.Count == 0 ? 1 : thickness[thickness.Count / 2]);
            foreach (var line in block.Lines)
            {
                var centre = Centre(line.Box);
                // Each word's span along the line, measured from the line's centre.
                var spans = line.Words.Select(w =>
                {
                    var c = Centre(w.Box);
                    var at = ((c.X - centre.X) * along.Item1) + ((c.Y - centre.Y) * along.Item2);
                    var length = Math.Max(1, Extent(w.Box, radians).Length);
                    return (Word: w, From: at - (length / 2), To: at + (length / 2));
                }).ToList();
                for (var i = 0; i < spans.Count; i++)
                {
                    var (word, from, to) = spans[i];
                    yield return Run(word.Text, from, to);
                    if (i + 1 < spans.Count && spans[i + 1].From - to >= WideGap * size)
                    {
                        yield return Run(WideGapFiller, to + (FillerMargin * size), spans[i + 1].From - (FillerMargin * size));
                    }
                }

                TextRun Run(string text, double from, double to)
                {
                    // From the line's centre: along to the start, then down to the baseline.
                    var toBaseline = (size / 2) - (Descent * size);
                    return new TextRun(text,
                        centre.X + (from * along.Item1) + (toBaseline * down.Item1),
                        centre.Y + (from * along.Item2) + (toBaseline * down.Item2),
                        to - from, size, angle);
                }
            }
        }
    }

    private static (double X, double Y) Centre(Box box) => ((box.X0 + box.X1) / 2.0, (box.Y0 + box.Y1) / 2.0);

    /// <summary>
    /// The length along the text and the thickness across it of the turned rectangle whose
    /// upright bounding box is <paramref name="box"/> (W = l·|cos| + t·|sin|, H = l·|sin| + t·|cos|).
    /// </summary>
    private static (double Length, double Thickness) Extent(Box box, double radians)
    {
        var (c, s) = (Math.Abs(Math.Cos(radians)), Math.Abs(Math.Sin(radians)));
        double w = box.Width, h = box.Height;
        var determinant = (c * c) - (s * s);
        if (Math.Abs(determinant) > 0.5)
        {
            var length = ((w * c) - (h * s)) / determinant;
            var thickness = ((h * c) - (w * s)) / determinant;
            if (length > 0 && thickness > 0)
            {
                return (length, thickness);
            }
        }

        // Nearly diagonal, or a box too small to solve: the box's own sides.
        return c >= s ? (w, h) : (h, w);
    }
}
