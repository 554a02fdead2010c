using Ocr.Pipeline.Engines;

namespace Ocr.Pipeline.Streams;

/// <summary>One finished page, as stored in the job's journal and returned in results.</summary>
public sealed record PageResult(
    int PageNumber,
    string Text,
    double Confidence,
    string Source,
    int Width,
    int Height,
    double ProcessingTime,
    int Rotation,
    double DeskewAngle,
    string? Engine = null,
    bool Escalated = false,
    bool GpuUsed = false,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<TextLine>? Lines = null,
    string? Node = null);

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
