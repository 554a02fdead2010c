namespace Ocr.Pipeline;

/// <summary>How pages are rasterized, recognized and retried. Defaults follow SPEC.md.</summary>
public sealed record PipelineOptions
{
    /// <summary>Resolution PDF pages are rendered at (OCR_PDF_DPI).</summary>
    public int PdfDpi { get; init; } = 400;

    /// <summary>Intermediate raster format for PDF pages (OCR_PDF_FORMAT): PNG, PGM or TIFF.</summary>
    public string PdfFormat { get; init; } = "PNG";

    /// <summary>Largest page, in pixels, that is recognized; bigger PDF pages get a lower DPI.</summary>
    public long MaxPagePixels { get; init; } = 60_000_000;

    /// <summary>auto: use a PDF page's text layer when it has one; ignore: always OCR.</summary>
    public string PdfTextLayer { get; init; } = "auto";

    /// <summary>Tesseract engines in the node's pool (one thread each); 0 = one per core.</summary>
    public int EngineCount { get; init; }

    /// <summary>Directory with *.traineddata; null uses Tesseract's compiled-in default.</summary>
    public string? TessdataPath { get; init; }

    /// <summary>Attempts per page for transient failures (1 = no retry).</summary>
    public int PageAttempts { get; init; } = 3;

    /// <summary>First retry delay; doubled for each further attempt.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Preprocessing of page images (OCR_PREPROCESS): auto, none or full.</summary>
    public Engines.PreprocessMode Preprocess { get; init; } = Engines.PreprocessMode.Auto;

    /// <summary>Pages rendered ahead of the one being recognized, per job.</summary>
    public int Prefetch { get; init; } = 2;

    /// <summary>
    /// What `engine=auto` runs when no GPU passes the threshold (OCR_CPU_ENGINE): tesseract or
    /// neural. With a GPU the neural engine runs.
    /// </summary>
    public string CpuEngine { get; init; } = Engines.OcrEngines.Tesseract;

    /// <summary>
    /// A page read by `engine=auto` below this confidence is read again by the other engine and
    /// the better reading kept (OCR_ESCALATE_BELOW); 0 turns escalation off.
    /// </summary>
    public double EscalateBelow { get; init; } = 0.95;

    /// <summary>Maps Tesseract's raw confidence onto the service's calibrated scale.</summary>
    public Engines.ConfidenceCalibration TesseractCalibration { get; init; } = Engines.EngineCalibrations.Tesseract;

    public int ResolvedEngineCount => EngineCount > 0 ? EngineCount : Math.Max(1, Environment.ProcessorCount);
}
