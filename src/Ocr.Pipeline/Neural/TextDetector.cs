using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace Ocr.Pipeline.Neural;

/// <summary>
/// A text region found on the page: four corners (top-left, top-right, bottom-right, bottom-left)
/// around the writing, and the detector's core box (the writing's middle, before expansion),
/// whose gaps show the layout: expanded boxes of neighbouring columns can touch.
/// </summary>
public sealed record TextRegion(Point2f[] Corners, double Score, Rect Core)
{
    public Rect Bounds
    {
        get
        {
            var minX = Corners.Min(p => p.X);
            var minY = Corners.Min(p => p.Y);
            var maxX = Corners.Max(p => p.X);
            var maxY = Corners.Max(p => p.Y);
            return new Rect((int)minX, (int)minY, (int)Math.Ceiling(maxX - minX), (int)Math.Ceiling(maxY - minY));
        }
    }

    public double Width => Math.Max(Distance(Corners[0], Corners[1]), Distance(Corners[3], Corners[2]));

    public double Height => Math.Max(Distance(Corners[0], Corners[3]), Distance(Corners[1], Corners[2]));

    private static double Distance(Point2f a, Point2f b) => Math.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));
}

/// <summary>
/// DB text detection (PP-OCR): probability map → threshold → contours → minimum-area boxes
/// scored on the map and expanded back to the text's full extent.
/// </summary>
public sealed class TextDetector(InferenceSession session, int maxSide = 1600)
{
    private const float PixelThreshold = 0.3f;
    private const double BoxThreshold = 0.6;
    private const double UnclipRatio = 1.6;
    private const int MinSide = 3;
    private const int MaxRegions = 2000;

    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    // Tiny images (a single text line) get a white margin: the detector needs room around the writing.
    private const int SmallSide = 256;
    private const int Margin = 64;

    /// <summary>
    /// The detector needs about 160 pixels per inch: a letter page at 300 dpi meets the side cap
    /// first (145 px/in at 1600 px), a till receipt does not, and its detection at 160 px/in costs
    /// half as much for the same CER on the eval receipts (4.9 % against 5.0 % at full size).
    /// </summary>
    private const double PixelsPerInch = 160;

    // Never below this for the resolution's sake: small images keep their pixels.
    private const int SmallestDetectionSide = 1024;

    /// <summary>The text regions of a gray page of <paramref name="resolution"/> dpi (0 when unknown).</summary>
    public IReadOnlyList<TextRegion> Detect(Mat gray, int resolution = 0)
    {
        var dpi = Engines.PageShape.DpiOf(resolution);
        if (Math.Min(gray.Width, gray.Height) >= SmallSide)
        {
            return DetectIn(gray, 0, dpi);
        }

        using var padded = new Mat();
        Cv2.CopyMakeBorder(gray, padded, Margin, Margin, Margin, Margin, BorderTypes.Constant, Scalar.All(255));
        return DetectIn(padded, Margin, dpi);
    }

    private List<TextRegion> DetectIn(Mat gray, int margin, int dpi)
    {
        var longSide = (double)Math.Max(gray.Width, gray.Height);
        var target = Math.Clamp(longSide * PixelsPerInch / dpi, Math.Min(SmallestDetectionSide, maxSide), maxSide);
        var scale = Math.Min(1.0, target / longSide);
        var width = Math.Max(32, (int)Math.Round(gray.Width * scale / 32) * 32);
        var height = Math.Max(32, (int)Math.Round(gray.Height * scale / 32) * 32);
        using var resized = new Mat();
        Cv2.Resize(gray, resized, new Size(width, height), 0, 0, InterpolationFlags.Area);

        using var input = new NativeInput(1, 3, height, width);
        var buffer = input.Values;
        var plane = width * height;
        unsafe
        {
            var pixels = (byte*)resized.Data;
            var step = (int)resized.Step();
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var value = pixels[(y * step) + x] / 255f;
                    var index = (y * width) + x;
                    buffer[index] = (value - Mean[0]) / Std[0];
                    buffer[plane + index] = (value - Mean[1]) / Std[1];
                    buffer[(2 * plane) + index] = (value - Mean[2]) / Std[2];
                }
            }
        }

        using var outputs = input.Run(session);
        using var probability = new Mat(height, width, MatType.CV_32FC1);
        using var mask = new Mat(height, width, MatType.CV_8UC1);
        unsafe
        {
            var probabilities = (float*)probability.Data;
            var bits = (byte*)mask.Data;
            var values = outputs[0].GetTensorDataAsSpan<float>();
            for (var index = 0; index < plane; index++)
            {
                probabilities[index] = values[index];
                bits[index] = values[index] > PixelThreshold ? (byte)255 : (byte)0;
            }
        }

        Cv2.FindContours(mask, out var contours, out _, RetrievalModes.List, ContourApproximationModes.ApproxSimple);
        var scaleX = gray.Width / (double)width;
        var scaleY = gray.Height / (double)height;
        var regions = new List<TextRegion>();
        foreach (var contour in contours.Take(MaxRegions))
        {
            if (contour.Length < 4)
            {
                continue;
            }

            var box = Cv2.MinAreaRect(contour);
            if (Math.Min(box.Size.Width, box.Size.Height) < MinSide)
            {
                continue;
            }

            var score = MeanInside(probability, contour);
            if (score < BoxThreshold)
            {
                continue;
            }

            var expanded = Unclip(box);
            if (Math.Min(expanded.Size.Width, expanded.Size.Height) < MinSide + 2)
            {
                continue;
            }

            var corners = Order(expanded.Points())
                .Select(p => new Point2f(
                    (float)Math.Clamp((p.X * scaleX) - margin, 0, gray.Width - (2 * margin) - 1),
                    (float)Math.Clamp((p.Y * scaleY) - margin, 0, gray.Height - (2 * margin) - 1)))
                .ToArray();
            var core = box.BoundingRect();
            var coreOnPage = new Rect(
                (int)((core.X * scaleX) - margin), (int)((core.Y * scaleY) - margin),
                Math.Max(1, (int)(core.Width * scaleX)), Math.Max(1, (int)(core.Height * scaleY)));
            regions.Add(new TextRegion(corners, score, coreOnPage));
        }

        return regions;
    }

    /// <summary>Grows a box by the DB offset (area × ratio / perimeter) on every side.</summary>
    private static RotatedRect Unclip(RotatedRect box)
    {
        var area = box.Size.Width * box.Size.Height;
        var perimeter = 2 * (box.Size.Width + box.Size.Height);
        var distance = (float)(area * UnclipRatio / perimeter);
        return new RotatedRect(box.Center, new Size2f(box.Size.Width + (2 * distance), box.Size.Height + (2 * distance)), box.Angle);
    }

    private static double MeanInside(Mat probability, Point[] contour)
    {
        var bounds = Cv2.BoundingRect(contour).Intersect(new Rect(0, 0, probability.Width, probability.Height));
        if (bounds.Width <= 0 || bounds.Height <= 0)
        {
            return 0;
        }

        using var mask = new Mat(bounds.Height, bounds.Width, MatType.CV_8UC1, Scalar.All(0));
        var shifted = contour.Select(p => new Point(p.X - bounds.X, p.Y - bounds.Y)).ToArray();
        Cv2.FillPoly(mask, [shifted], Scalar.All(255));
        using var region = new Mat(probability, bounds);
        return Cv2.Mean(region, mask).Val0;
    }

    /// <summary>Orders four corners as top-left, top-right, bottom-right, bottom-left.</summary>
    internal static Point2f[] Order(Point2f[] points)
    {
        var byX = points.OrderBy(p => p.X).ToArray();
        var left = byX.Take(2).OrderBy(p => p.Y).ToArray();
        var right = byX.Skip(2).OrderBy(p => p.Y).ToArray();
        return [left[0], right[0], right[1], left[1]];
    }
}
