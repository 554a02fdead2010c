using OpenCvSharp;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Imaging;

namespace Ocr.Pipeline.Pages;

/// <summary>What the quality verdict needs from the image itself, measured once before reading.</summary>
public sealed record PageMeasure(int Width, int Height, double InkShare, double ContrastRange)
{
    // Measured on a copy at most this wide: the histogram does not need every pixel.
    private const int SampleWidth = 1000;

    public static PageMeasure Of(PageImage image)
    {
        using var gray = PixelBridge.ToGray(image);
        using var sample = new Mat();
        var factor = Math.Min(1.0, SampleWidth / (double)Math.Max(1, gray.Width));
        Cv2.Resize(gray, sample, new Size(), factor, factor, InterpolationFlags.Area);
        var counts = PageFilters.GrayHistogram(sample);
        var total = Math.Max(1, counts.Sum());
        var (dark, light) = (PageFilters.Percentile(counts, 0.01), PageFilters.Percentile(counts, 0.95));
        // Ink: pixels well below the paper's level.
        var inkLevel = light - Math.Max(30, (light - dark) / 2);
        var ink = counts.Take(Math.Max(0, inkLevel)).Sum() / total;
        return new PageMeasure(image.Width, image.Height, ink, light - dark);
    }

    public QualitySignals Signals(PageRecognition reading, int? dpi)
    {
        var heights = reading.Blocks.SelectMany(b => b.Lines).Select(l => (double)l.Box.Height).Order().ToList();
        var median = heights.Count == 0 ? 0 : heights[heights.Count / 2];
        return new QualitySignals(Width, Height, dpi, InkShare, ContrastRange, reading.DeskewAngle, reading.Letters, reading.Confidence, median);
    }
}
