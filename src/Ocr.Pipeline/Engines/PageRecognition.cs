using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Engines;

/// <summary>
/// What an engine read from one page image: the text, its confidence, and blocks of lines of
/// words whose boxes are already in the frame of the image it was given.
/// </summary>
public sealed record PageRecognition(
    string Text,
    double Confidence,
    int RotationApplied,
    double DeskewAngle,
    string Recipe,
    string Engine,
    IReadOnlyList<TextBlock> Blocks,
    IReadOnlyDictionary<string, double>? Stages = null)
{
    public int Letters => Text.Count(char.IsLetterOrDigit);

    public PageOrientation Orientation => new(DeskewAngle, RotationApplied);
}

/// <summary>How a page was turned upright: the tilt straightened, then quarter turns counter-clockwise.</summary>
public sealed record PageOrientation(double Deskew, int Rotation);

/// <summary>
/// What the caller asks of one recognition. <paramref name="Known"/>, when given, is how the
/// page stands (found by an earlier reading): the engine applies it instead of looking again.
/// <paramref name="RetryWeak"/>: whether a weak reading is retried with the engine's other
/// recipes (not when another engine will read a weak page anyway).
/// </summary>
public sealed record RecognitionRequest(string Language, bool AutoRotate, PreprocessMode Preprocess = PreprocessMode.Auto, PageOrientation? Known = null, bool RetryWeak = true);

/// <summary>Engine names as they appear in the submit field and in page results.</summary>
public static class OcrEngines
{
    public const string Auto = "auto";
    public const string Tesseract = "tesseract";
    public const string Neural = "neural";

    public static readonly string[] Choices = [Auto, Tesseract, Neural];
}

/// <summary>An OCR engine behind the service's one seam: reads a page image it does not change.</summary>
public interface IPageEngine
{
    /// <summary>The engine's name in page results (<see cref="OcrEngines"/>).</summary>
    string Name { get; }

    /// <summary>Raw confidences onto the service's one scale.</summary>
    ConfidenceCalibration Calibration { get; }

    /// <summary>Reads <paramref name="image"/>, leaving it as it was; confidences are the engine's raw ones.</summary>
    Task<PageRecognition> ReadAsync(PageImage image, RecognitionRequest request, CancellationToken cancellationToken);
}
