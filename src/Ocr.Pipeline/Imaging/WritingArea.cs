using OpenCvSharp;

namespace Ocr.Pipeline.Imaging;

/// <summary>
/// The part of a page that holds anything darker than its paper, with a margin: a till receipt
/// scanned on a letter-size bed covers a tenth to a third of the page, and reading the blank rest
/// costs detection time and feature-map memory in proportion to its area.
/// </summary>
public static class WritingArea
{
    /// <summary>Pixels of the page per pixel of the reduced copy searched (the search costs a few milliseconds).</summary>
    private const int Reduction = 4;

    /// <summary>Darker than the paper by this much (0-255) counts as writing: faded pencil still does, JPEG noise does not.</summary>
    private const int InkContrast = 40;

    /// <summary>Paper darker than this (a photo's background, a dark scan) gives no clear edge: the whole page is kept.</summary>
    private const int DarkestPaper = 96;

    /// <summary>Kept whole when the writing covers more than this share of the page: the saving would be small.</summary>
    private const double MostOfThePage = 0.8;

    /// <summary>
    /// The rectangle of <paramref name="gray"/> holding its writing plus <paramref name="margin"/> pixels
    /// on every side, or null when that is most of the page, or when no writing stands out from the paper.
    /// Every dark pixel counts (a speck only makes the rectangle larger): nothing written is ever left out.
    /// </summary>
    public static Rect? Find(Mat gray, int margin)
    {
        if (gray.Empty() || gray.Type() != MatType.CV_8UC1 || Math.Min(gray.Width, gray.Height) < 4 * Reduction)
        {
            return null;
        }

        using var small = new Mat();
        Cv2.Resize(gray, small, new Size(gray.Width / Reduction, gray.Height / Reduction), 0, 0, InterpolationFlags.Area);
        // The paper's brightness: the reduced page's median (most of a page is paper).
        var paper = PageFilters.Percentile(small, 0.5);
        if (paper < DarkestPaper)
        {
            return null;
        }

        using var ink = new Mat();
        Cv2.Threshold(small, ink, paper - InkContrast, 255, ThresholdTypes.BinaryInv);
        using var points = new Mat();
        Cv2.FindNonZero(ink, points);
        if (points.Empty())
        {
            return null;
        }

        var found = Cv2.BoundingRect(points);
        var left = Math.Max(0, (found.X * Reduction) - margin);
        var top = Math.Max(0, (found.Y * Reduction) - margin);
        var right = Math.Min(gray.Width, (found.Right * Reduction) + margin);
        var bottom = Math.Min(gray.Height, (found.Bottom * Reduction) + margin);
        var area = new Rect(left, top, right - left, bottom - top);
        return (double)area.Width * area.Height > MostOfThePage * gray.Width * gray.Height ? null : area;
    }
}
