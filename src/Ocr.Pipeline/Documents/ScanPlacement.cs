namespace Ocr.Pipeline.Documents;

/// <summary>
/// Whether a PDF page is a plain scan: its content stream only draws one image, upright and
/// unmirrored, over the whole page, with one image sample per pixel at the render DPI. Such a
/// page's pixels are the image's own; anything else (text or paths drawn, two images, a turn, a
/// resampled image) is left to the renderer.
/// </summary>
internal static class ScanPlacement
{
    // Half a pixel: pdftoppm sizes a page by rounding its points up to whole pixels.
    private const double PixelTolerance = 0.5;

    /// <summary>One content-stream operator with its operands when it is `cm` (a b c d e f).</summary>
    public readonly record struct Operation(string Operator, IReadOnlyList<double>? Matrix = null);

    /// <summary>A page's box in points: left, bottom, width, height.</summary>
    public readonly record struct Box(double Left, double Bottom, double Width, double Height);

    /// <summary>
    /// The transformation the one image is drawn with (a, b, c, d, e, f) when the operators are
    /// only saves, restores, matrix changes and a single XObject draw; null for anything else.
    /// </summary>
    public static double[]? SingleDrawMatrix(IEnumerable<Operation> operations)
    {
        var current = Identity();
        var saved = new Stack<double[]>();
        double[]? drawn = null;
        foreach (var operation in operations)
        {
            switch (operation.Operator)
            {
                case "q":
                    saved.Push(current);
                    break;
                case "Q":
                    if (saved.Count == 0)
                    {
                        return null;
                    }

                    current = saved.Pop();
                    break;
                case "cm" when operation.Matrix is { Count: 6 } m:
                    current = Multiply([m[0], m[1], m[2], m[3], m[4], m[5]], current);
                    break;
                case "Do" when drawn is null:
                    drawn = current;
                    break;
                default:
                    return null;
            }
        }

        return drawn;
    }

    /// <summary>
    /// Whether an image of <paramref name="width"/> x <paramref name="height"/> samples drawn with
    /// <paramref name="matrix"/> covers <paramref name="page"/> exactly, upright, at one sample per
    /// pixel at <paramref name="dpi"/>.
    /// </summary>
    public static bool FillsPage(double[] matrix, Box page, int width, int height, int dpi)
    {
        var (a, b, c, d, e, f) = (matrix[0], matrix[1], matrix[2], matrix[3], matrix[4], matrix[5]);
        if (b != 0 || c != 0 || a <= 0 || d <= 0 || width <= 0 || height <= 0 || dpi <= 0)
        {
            return false;
        }

        var pixelsPerPoint = dpi / 72.0;
        return Near((e - page.Left) * pixelsPerPoint, 0)
               && Near((f - page.Bottom) * pixelsPerPoint, 0)
               && Near(a * pixelsPerPoint, page.Width * pixelsPerPoint)
               && Near(d * pixelsPerPoint, page.Height * pixelsPerPoint)
               && Near(page.Width * pixelsPerPoint, width)
               && Near(page.Height * pixelsPerPoint, height);
    }

    private static bool Near(double pixels, double expected) => Math.Abs(pixels - expected) < PixelTolerance;

    private static double[] Identity() => [1, 0, 0, 1, 0, 0];

    /// <summary>PDF's row-vector convention: the new matrix applies first, then the current one.</summary>
    private static double[] Multiply(double[] m, double[] n) =>
    [
        (m[0] * n[0]) + (m[1] * n[2]),
        (m[0] * n[1]) + (m[1] * n[3]),
        (m[2] * n[0]) + (m[3] * n[2]),
        (m[2] * n[1]) + (m[3] * n[3]),
        (m[4] * n[0]) + (m[5] * n[2]) + n[4],
        (m[4] * n[1]) + (m[5] * n[3]) + n[5],
    ];
}
