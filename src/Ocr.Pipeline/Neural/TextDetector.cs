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

/// <summary>Rows of the detector's window one model run covers (<see cref="Top"/> to <see cref="Bottom"/>) and the rows it answers for.</summary>
internal readonly record struct DetectionBand(int Top, int Bottom, int OwnTop, int OwnBottom);

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

    /// <summary>The model's stride: a window cut from the model's input at multiples of it sees the same grid as the whole.</summary>
    private const int Stride = 32;

    /// <summary>
    /// Paper kept around the writing, in the model's pixels: the model's view reaches this far, and with
    /// less the window's edge (zeros to the model, a mid grey) changes how lines near it are found.
    /// </summary>
    private const int PaperAround = 5 * Stride;

    /// <summary>
    /// Model pixels per run at most: the model's feature maps take about 140-170 MB per million pixels of
    /// its input (a letter page at 1600 px: 270 MB for one run). A larger window is read in bands, each
    /// with context rows on both sides of its cuts: a letter page in five. A receipt's window (about
    /// 0.74 M pixels) stays whole: in two bands of ~0.49 M it cost half again the rows (perf.py's 24
    /// pages, stage benchmark: detection 3.1 s summed whole against 3.8 s in bands) for a peak of perf.py's
    /// 300 pages no lower beyond noise once the host's GC stopped holding free space (550 against 545 MB).
    /// </summary>
    internal const long MaxPixelsPerRun = 800_000;

    /// <summary>
    /// A band may run this many rows however wide the window: with fewer, the rows it reads for context
    /// (<see cref="PaperAround"/> on each side) would outnumber the rows it owns.
    /// </summary>
    private const int MinimumBandRun = 5 * PaperAround;

    /// <summary>How far a cut between bands may move from its even place to fall between lines, in model rows.</summary>
    private const int CutSearch = Stride;

    /// <summary>
    /// The text regions of a gray page of <paramref name="resolution"/> dpi (0 when unknown). The page is
    /// scaled as its writing would be alone, and only the window holding that writing (<see cref="Imaging.WritingArea"/>,
    /// with <see cref="PaperAround"/> of paper, on the model's grid) goes through the model, in bands: a
    /// receipt on a letter page costs the receipt's area, not the page's.
    /// </summary>
    public IReadOnlyList<TextRegion> Detect(Mat gray, int resolution = 0)
    {
        var dpi = Engines.PageShape.DpiOf(resolution);
        if (Math.Min(gray.Width, gray.Height) >= SmallSide)
        {
            return DetectIn(gray, 0, dpi, Imaging.WritingArea.Find(gray, margin: 0));
        }

        using var padded = new Mat();
        Cv2.CopyMakeBorder(gray, padded, Margin, Margin, Margin, Margin, BorderTypes.Constant, Scalar.All(255));
        return DetectIn(padded, Margin, dpi, writing: null);
    }

    private List<TextRegion> DetectIn(Mat gray, int margin, int dpi, Rect? writing)
    {
        // Scaled as its writing would be alone: a receipt on a letter page gets the pixels of a receipt.
        var scale = ScaleFor(writing?.Size ?? gray.Size(), dpi);
        var fullWidth = Math.Max(Stride, (int)Math.Round(gray.Width * scale / Stride) * Stride);
        var fullHeight = Math.Max(Stride, (int)Math.Round(gray.Height * scale / Stride) * Stride);
        using var resized = new Mat();
        Cv2.Resize(gray, resized, new Size(fullWidth, fullHeight), 0, 0, InterpolationFlags.Area);
        var window = Window(writing, gray.Size(), resized.Size());
        var (width, height) = (window.Width, window.Height);
        using var probability = new Mat(height, width, MatType.CV_32FC1);
        using var mask = new Mat(height, width, MatType.CV_8UC1);
        using var area = new Mat(resized, window);
        var rowInk = (long)height * width > MaxPixelsPerRun ? RowInk(area) : null;
        foreach (var band in Bands(height, width, MaxPixelsPerRun, rowInk))
        {
            using var seen = new Mat(area, new Rect(0, band.Top, width, band.Bottom - band.Top));
            RunBand(seen, band, probability, mask);
        }

        return Regions(mask, probability, window.Location, gray.Width / (double)fullWidth, gray.Height / (double)fullHeight, margin, gray.Size());
    }

    /// <summary>Each row's ink in <paramref name="gray"/>: its pixels' darkness summed.</summary>
    private static double[] RowInk(Mat gray)
    {
        using var sums = new Mat();
        Cv2.Reduce(gray, sums, ReduceDimension.Column, ReduceTypes.Sum, MatType.CV_64FC1.Value);
        var ink = new double[gray.Rows];
        for (var row = 0; row < ink.Length; row++)
        {
            ink[row] = (255.0 * gray.Cols) - sums.At<double>(row, 0);
        }

        return ink;
    }

    /// <summary>The model's input scale for an image of <paramref name="size"/>: about <see cref="PixelsPerInch"/>, within the side limits, never enlarged.</summary>
    private double ScaleFor(Size size, int dpi)
    {
        var longSide = (double)Math.Max(size.Width, size.Height);
        var target = Math.Clamp(longSide * PixelsPerInch / dpi, Math.Min(SmallestDetectionSide, maxSide), maxSide);
        return Math.Min(1.0, target / longSide);
    }

    /// <summary>
    /// Runs the model over one band of the window (<paramref name="seen"/>: its rows from the band's top to
    /// its bottom) and writes the probabilities of the band's own rows into the window's maps.
    /// </summary>
    private void RunBand(Mat seen, DetectionBand band, Mat probability, Mat mask)
    {
        var (width, height) = (seen.Width, seen.Height);
        using var input = new NativeInput(1, 3, height, width);
        var buffer = input.Values;
        var plane = width * height;
        unsafe
        {
            var pixels = (byte*)seen.Data;
            var step = (int)seen.Step();
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
        var values = outputs[0].GetTensorDataAsSpan<float>();
        unsafe
        {
            var probabilities = (float*)probability.Data;
            var bits = (byte*)mask.Data;
            for (var row = band.OwnTop; row < band.OwnBottom; row++)
            {
                var from = (row - band.Top) * width;
                var to = row * width;
                for (var x = 0; x < width; x++)
                {
                    var value = values[from + x];
                    probabilities[to + x] = value;
                    bits[to + x] = value > PixelThreshold ? (byte)255 : (byte)0;
                }
            }
        }
    }

    /// <summary>
    /// Rows of a window of <paramref name="rows"/> × <paramref name="columns"/> model pixels, cut into bands
    /// of at most <paramref name="maxPixels"/> each (or <see cref="MinimumBandRun"/> rows, whichever is more):
    /// each band owns its rows (<see cref="DetectionBand.OwnTop"/> to <see cref="DetectionBand.OwnBottom"/>)
    /// and is run with at least <see cref="PaperAround"/> rows more on either side, so a line across a band's
    /// edge is found whole in both. The rows are shared evenly, each cut moved to the row with the least ink
    /// (<paramref name="rowInk"/>, when given) within <see cref="CutSearch"/> rows, so that cuts fall between
    /// lines rather than through them. Runs start and end on the model's grid.
    /// </summary>
    internal static IReadOnlyList<DetectionBand> Bands(int rows, int columns, long maxPixels, IReadOnlyList<double>? rowInk = null)
    {
        if ((long)rows * columns <= maxPixels)
        {
            return [new DetectionBand(0, rows, 0, rows)];
        }

        var longestRun = Math.Max((int)(maxPixels / columns / Stride) * Stride, MinimumBandRun);
        var count = 2;
        while (RunRows(rows, count, count == 2 ? 1 : 2) > longestRun)
        {
            count++;
        }

        var cuts = new int[count + 1];
        cuts[count] = rows;
        for (var i = 1; i < count; i++)
        {
            cuts[i] = Cut((int)Math.Round(i * rows / (double)count), rowInk, cuts[i - 1] + Stride, rows - Stride);
        }

        var bands = new List<DetectionBand>(count);
        for (var i = 0; i < count; i++)
        {
            var top = Math.Max(0, (cuts[i] - PaperAround) / Stride * Stride);
            var bottom = Math.Min(rows, (cuts[i + 1] + PaperAround + Stride - 1) / Stride * Stride);
            bands.Add(new DetectionBand(top, bottom, cuts[i], cuts[i + 1]));
        }

        return bands;
    }

    /// <summary>The longest run one of <paramref name="count"/> even shares of <paramref name="rows"/> can need, with context on <paramref name="sides"/> sides.</summary>
    private static int RunRows(int rows, int count, int sides) =>
        (int)Math.Ceiling(rows / (double)count) + (2 * CutSearch) + (sides * (PaperAround + Stride));

    /// <summary>The row near <paramref name="even"/> with the least ink (the nearest among equals), within the search and the given limits.</summary>
    private static int Cut(int even, IReadOnlyList<double>? rowInk, int lowest, int highest)
    {
        var best = Math.Clamp(even, lowest, highest);
        if (rowInk is null)
        {
            return best;
        }

        for (var offset = 1; offset <= CutSearch; offset++)
        {
            foreach (var row in (ReadOnlySpan<int>)[even - offset, even + offset])
            {
                if (row >= lowest && row <= highest && rowInk[row] < rowInk[best])
                {
                    best = row;
                }
            }
        }

        return best;
    }

    /// <summary>
    /// The part of the scaled page (<paramref name="scaled"/>) covering <paramref name="writing"/> on the
    /// page, widened to the model's grid; the whole scaled page when there is no writing area.
    /// </summary>
    internal static Rect Window(Rect? writing, Size page, Size scaled)
    {
        if (writing is not { } area)
        {
            return new Rect(0, 0, scaled.Width, scaled.Height);
        }

        var (sx, sy) = (scaled.Width / (double)page.Width, scaled.Height / (double)page.Height);
        var left = Math.Max(0, (int)Math.Floor(((area.Left * sx) - PaperAround) / Stride) * Stride);
        var top = Math.Max(0, (int)Math.Floor(((area.Top * sy) - PaperAround) / Stride) * Stride);
        var right = Math.Min(scaled.Width, (int)Math.Ceiling(((area.Right * sx) + PaperAround) / Stride) * Stride);
        var bottom = Math.Min(scaled.Height, (int)Math.Ceiling(((area.Bottom * sy) + PaperAround) / Stride) * Stride);
        return new Rect(left, top, Math.Max(Stride, right - left), Math.Max(Stride, bottom - top));
    }

    /// <summary>Boxes around the probability map's blobs, in the page's pixels (the map covers the window at <paramref name="origin"/>).</summary>
    private static List<TextRegion> Regions(Mat mask, Mat probability, Point origin, double scaleX, double scaleY, int margin, Size page)
    {
        Cv2.FindContours(mask, out var contours, out _, RetrievalModes.List, ContourApproximationModes.ApproxSimple);
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
                    (float)Math.Clamp(((p.X + origin.X) * scaleX) - margin, 0, page.Width - (2 * margin) - 1),
                    (float)Math.Clamp(((p.Y + origin.Y) * scaleY) - margin, 0, page.Height - (2 * margin) - 1)))
                .ToArray();
            var core = box.BoundingRect();
            var coreOnPage = new Rect(
                (int)(((core.X + origin.X) * scaleX) - margin), (int)(((core.Y + origin.Y) * scaleY) - margin),
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
