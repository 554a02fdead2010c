using OpenCvSharp;

namespace Ocr.Pipeline.Imaging;

/// <summary>
/// Finds how far a page's text lines are tilted, by the projection-profile method: ink is
/// sheared row by row at candidate angles, and the angle whose row histogram has the sharpest
/// edges (lines and gaps cleanly apart) wins. Coarse sweep, then a fine one around the best.
/// </summary>
internal static class SkewDetector
{
    private const double SweepDegrees = 7.0;
    private const double CoarseStep = 0.25;
    private const double FineStep = 0.02;

    /// <summary>Side the search works at: text lines of a 300-dpi letter page are still 8–10 px high there.</summary>
    private const int WorkingSide = 1200;

    /// <summary>A sweep whose best angle beats the flattest by less than this has found no lines (photos, blank pages).</summary>
    private const double LinesFoundRatio = 1.05;

    private const int MinimumInk = 500;

    /// <summary>One line of text tilts its profile's edges as much as its slope: it gives no reliable angle.</summary>
    private const int MinimumLines = 2;

    /// <summary>
    /// Degrees the lines fall to the right (image y grows downwards), so turning the page that
    /// many degrees counter-clockwise levels them; 0 when no lines are found.
    /// </summary>
    public static double FindSkew(Mat gray)
    {
        using var ink = InkPoints(gray, out var scale);
        if (ink.Rows < MinimumInk)
        {
            return 0;
        }

        // Read in place: a page's ink points as an array were a megabyte for the large object heap.
        ReadOnlySpan<Point> points;
        unsafe
        {
            points = new ReadOnlySpan<Point>((void*)ink.Data, ink.Rows);
        }

        var height = (int)Math.Ceiling(gray.Height * scale);
        var width = (int)Math.Ceiling(gray.Width * scale);

        var best = 0.0;
        var bestScore = double.MinValue;
        var flattest = double.MaxValue;
        for (var angle = -SweepDegrees; angle <= SweepDegrees + 1e-9; angle += CoarseStep)
        {
            var score = Sharpness(points, angle, width, height);
            flattest = Math.Min(flattest, score);
            if (score > bestScore)
            {
                (best, bestScore) = (angle, score);
            }
        }

        if (bestScore < LinesFoundRatio * flattest || Math.Abs(best) >= SweepDegrees - CoarseStep / 2
            || LineCount(points, best, width, height) < MinimumLines)
        {
            return 0;
        }

        var coarse = best;
        for (var angle = coarse - CoarseStep; angle <= coarse + CoarseStep + 1e-9; angle += FineStep)
        {
            var score = Sharpness(points, angle, width, height);
            if (score > bestScore)
            {
                (best, bestScore) = (angle, score);
            }
        }

        return Math.Round(best, 2);
    }

    /// <summary>Coordinates of the ink (dark pixels under Otsu's threshold) on a reduced copy of the page.</summary>
    private static Mat InkPoints(Mat gray, out double scale)
    {
        scale = Math.Min(1.0, (double)WorkingSide / Math.Max(gray.Width, gray.Height));
        using var small = new Mat();
        if (scale < 1.0)
        {
            Cv2.Resize(gray, small, new Size(), scale, scale, InterpolationFlags.Area);
        }
        else
        {
            gray.CopyTo(small);
        }

        using var binary = new Mat();
        Cv2.Threshold(small, binary, 0, 255, ThresholdTypes.BinaryInv | ThresholdTypes.Otsu);
        var points = new Mat();
        // A page that is mostly "ink" is a photo or a dark border, not text on paper.
        if (Cv2.CountNonZero(binary) < binary.Total() * 0.4)
        {
            Cv2.FindNonZero(binary, points);
        }

        return points;
    }

    /// <summary>Sum of squared differences between neighbouring rows of the sheared ink histogram.</summary>
    private static double Sharpness(ReadOnlySpan<Point> points, double degrees, int width, int height)
    {
        var rows = Profile(points, degrees, width, height);
        double sum = 0;
        for (var i = 1; i < rows.Length; i++)
        {
            double step = rows[i] - rows[i - 1];
            sum += step * step;
        }

        return sum;
    }

    /// <summary>Bands of rows holding a fair share of the ink, read at the found angle: the text lines.</summary>
    private static int LineCount(ReadOnlySpan<Point> points, double degrees, int width, int height)
    {
        var rows = Profile(points, degrees, width, height);
        var level = rows.Max() * 0.15;
        var lines = 0;
        var inLine = false;
        foreach (var count in rows)
        {
            if (count > level && !inLine)
            {
                lines++;
            }

            inLine = count > level;
        }

        return lines;
    }

    private static int[] Profile(ReadOnlySpan<Point> points, double degrees, int width, int height)
    {
        var slope = Math.Tan(degrees * Math.PI / 180);
        var margin = (int)Math.Ceiling(Math.Abs(slope) * width) + 1;
        var rows = new int[height + 2 * margin];
        foreach (var point in points)
        {
            rows[(int)(point.Y - point.X * slope) + margin]++;
        }

        return rows;
    }
}
