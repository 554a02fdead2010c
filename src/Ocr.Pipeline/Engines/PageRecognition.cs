namespace Ocr.Pipeline.Engines;

/// <summary>Text that an engine read from one page image.</summary>
public sealed record PageRecognition(
    string Text,
    double Confidence,
    int RotationApplied,
    double DeskewAngle,
    string Recipe,
    string Engine = OcrEngines.Tesseract,
    IReadOnlyList<TextLine>? Lines = null);

/// <summary>What the caller asks of one recognition.</summary>
public sealed record RecognitionRequest(string Language, bool AutoRotate, PreprocessMode Preprocess = PreprocessMode.Auto);

/// <summary>A box on the page, in pixels of the page as recognized (after deskew and rotation).</summary>
public sealed record TextBox(int X, int Y, int Width, int Height);

public sealed record TextWord(string Text, double Confidence, TextBox Box);

public sealed record TextLine(string Text, double Confidence, TextBox Box, IReadOnlyList<TextWord> Words);

/// <summary>Engine names as they appear in the submit field and in page results.</summary>
public static class OcrEngines
{
    public const string Auto = "auto";
    public const string Tesseract = "tesseract";
    public const string Neural = "neural";

    public static readonly string[] Choices = [Auto, Tesseract, Neural];
}
