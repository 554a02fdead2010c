using Ocr.Pipeline.Engines;

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

    /// <summary>
    /// The lines of a till receipt (a narrow, tall page: <see cref="PageShape.IsNarrow"/>) are read
    /// this much narrower than their own proportions. Receipt print is monospaced and widely
    /// spaced, about 22 columns a letter at the recognizer's 48 rows, nearly three of the model's
    /// 8-column steps where its CTC decoding needs one or two, and recognition time follows the
    /// columns. Documents' proportional type loses its narrow letters when squeezed, so their
    /// lines keep their proportions (both measured on ../shared/eval: README, Performance).
    /// </summary>
    public double ReceiptLineWidthScale { get; init; } = 0.8;

    public ConfidenceCalibration Calibration { get; init; } = EngineCalibrations.Neural;
}
