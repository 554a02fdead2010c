using Ocr.Pipeline.Engines;

namespace Ocr.Pipeline.Streams;

/// <summary>What one job asks the pipeline for.</summary>
public sealed record JobWork(
    string FilePath,
    Documents.DocumentKind Kind,
    string? PageSelection,
    int? Dpi,
    string Language,
    bool AutoRotate,
    PreprocessMode Preprocess = PreprocessMode.Auto,
    string Engine = OcrEngines.Auto);
