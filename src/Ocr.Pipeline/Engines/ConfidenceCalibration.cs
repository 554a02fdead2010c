namespace Ocr.Pipeline.Engines;

/// <summary>
/// Maps an engine's raw confidence onto the service's one 0–1 scale, piecewise linearly
/// through points measured on the eval set (raw → 1 − mean CER), so that a confidence means
/// the same for both engines and escalation can compare them.
/// </summary>
public sealed record ConfidenceCalibration(IReadOnlyList<(double Raw, double Calibrated)> Points)
{
    public static readonly ConfidenceCalibration Identity = new([(0, 0), (1, 1)]);

    public double Apply(double raw)
    {
        if (Points.Count == 0)
        {
            return raw;
        }

        if (raw <= Points[0].Raw)
        {
            return Points[0].Calibrated;
        }

        for (var i = 1; i < Points.Count; i++)
        {
            if (raw <= Points[i].Raw)
            {
                var (x0, y0) = Points[i - 1];
                var (x1, y1) = Points[i];
                return y0 + ((y1 - y0) * (raw - x0) / Math.Max(1e-9, x1 - x0));
            }
        }

        return Points[^1].Calibrated;
    }

    /// <summary>The reading with its page, line and word confidences all on the calibrated scale.</summary>
    public PageRecognition ApplyTo(PageRecognition reading) => reading with
    {
        Confidence = Apply(reading.Confidence),
        Blocks = reading.Blocks.Select(block => block with
        {
            Lines = block.Lines.Select(line => line with
            {
                Confidence = Round(line.Confidence),
                Words = line.Words.Select(word => word with { Confidence = Round(word.Confidence) }).ToList(),
            }).ToList(),
        }).ToList(),
    };

    private double Round(double raw) => Math.Round(Apply(raw), 4);
}

/// <summary>
/// Calibrations fitted by benchmarks/calibrate.py on ../shared/eval (43 single-page files; raw =
/// Tesseract's mean word confidence, the neural engine's mean letter probability). The README's
/// confidence table gives the mean CER per calibrated band.
/// </summary>
public static class EngineCalibrations
{
    public static readonly ConfidenceCalibration Tesseract = new([(0.0, 0.0), (0.7289, 0.8271), (0.8201, 0.8902), (0.8864, 0.9763), (0.9226, 0.9786), (0.9466, 0.9824), (0.9553, 1.0), (0.9575, 1.0), (1.0, 1.0)]);

    public static readonly ConfidenceCalibration Neural = new([(0.0, 0.0), (0.8233, 0.7981), (0.9739, 0.9521), (0.9936, 0.9824), (0.9982, 0.9951), (0.9999, 1.0), (1.0, 1.0)]);
}
