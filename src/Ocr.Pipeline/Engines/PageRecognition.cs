namespace Ocr.Pipeline.Engines;

/// <summary>Text that an engine read from one page image.</summary>
public sealed record PageRecognition(string Text, double Confidence, int RotationApplied, double DeskewAngle, string Recipe);

/// <summary>What the caller asks of one recognition.</summary>
public sealed record RecognitionRequest(string Language, bool AutoRotate, PreprocessMode Preprocess = PreprocessMode.Auto);
