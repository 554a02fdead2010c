using Ocr.Pipeline.Documents;

namespace Ocr.Pipeline.Engines;

/// <summary>
/// Which engines read a job's pages, decided once at start-up from what is installed. An
/// explicit engine reads alone. With both engines installed and escalation on, `auto` chooses
/// by the page's shape before reading it: a narrow, tall page (a till receipt) is read by the
/// neural engine first, any other page by Tesseract first, and a reading below the escalation
/// threshold is read again by the other engine. With escalation off, `auto` is the neural
/// engine on a usable GPU, else the configured CPU engine.
/// </summary>
public sealed class EnginePolicy
{
    /// <summary>
    /// On receipts the neural reading beat Tesseract's on 17 of the 20 eval receipts, and the
    /// other three were within 1.5 % CER of it: a neural receipt reading is only read again when
    /// it is clearly weak, not at the document threshold (most receipts read at 0.89-0.97).
    /// </summary>
    public const double NarrowPageMargin = 0.10;

    private readonly IPageEngine _tesseract;
    private readonly IPageEngine? _neural;
    private readonly EnginePlan _auto;

    public EnginePolicy(IPageEngine tesseract, IPageEngine? neural, bool neuralOnGpu, string cpuEngine, double escalateBelow)
    {
        _tesseract = tesseract;
        _neural = neural;
        if (neural is not null && escalateBelow > 0)
        {
            AutoEngine = OcrEngines.Tesseract;
            _auto = new EnginePlan(new ReadingPlan(tesseract, neural, escalateBelow),
                new ReadingPlan(neural, tesseract, Math.Max(0, escalateBelow - NarrowPageMargin)));
        }
        else
        {
            AutoEngine = ChooseAutoEngine(neural is not null, neuralOnGpu, cpuEngine);
            _auto = new EnginePlan(new ReadingPlan(AutoEngine == OcrEngines.Neural ? neural! : tesseract, null, 0));
        }
    }

    /// <summary>The engine `engine=auto` reads a document page with first (narrow pages may start with the other).</summary>
    public string AutoEngine { get; }

    public static string ChooseAutoEngine(bool neuralInstalled, bool neuralOnGpu, string cpuEngine) =>
        !neuralInstalled ? OcrEngines.Tesseract
        : neuralOnGpu ? OcrEngines.Neural
        : cpuEngine;

    /// <summary>The plan for a job that asked for <paramref name="requested"/> (one of <see cref="OcrEngines.Choices"/>).</summary>
    public EnginePlan PlanFor(string requested) => requested switch
    {
        OcrEngines.Neural => new EnginePlan(new ReadingPlan(_neural ?? throw new OcrDocumentException("the neural engine is not installed"), null, 0)),
        OcrEngines.Tesseract => new EnginePlan(new ReadingPlan(_tesseract, null, 0)),
        _ => _auto,
    };
}

/// <summary>A job's reading plans: one for its pages, and where it differs, one for narrow pages.</summary>
public sealed record EnginePlan(ReadingPlan Pages, ReadingPlan? NarrowPages = null)
{
    public ReadingPlan For(int width, int height, int resolution) =>
        NarrowPages is not null && PageShape.IsNarrow(width, height, resolution) ? NarrowPages : Pages;
}

/// <summary>What a page's size says about it before anything reads it.</summary>
public static class PageShape
{
    // Till rolls are 57-80 mm wide and a receipt is longer than it is wide (photos and screens are 4:3 or wider); letters and forms are 5.8 in (A5) or wider.
    private const double NarrowInches = 4.5;
    private const double TallAspect = 1.4;

    // An image that states no resolution (most photos and many scans) is taken as 300 dpi, as the engines take it.
    private const int AssumedDpi = 300;
    private const int CredibleDpi = 100;

    /// <summary>A page narrower than 4.5 in and at least 1.4 times taller than wide: a receipt, not a letter or a photo.</summary>
    public static bool IsNarrow(int width, int height, int resolution) =>
        width > 0 && width / (double)DpiOf(resolution) <= NarrowInches && height >= TallAspect * width;

    /// <summary>The resolution a page is taken to have: its own when credible, else 300 dpi.</summary>
    public static int DpiOf(int resolution) => resolution >= CredibleDpi ? resolution : AssumedDpi;
}

/// <summary>A first engine, and the one a weak first reading escalates to (if any).</summary>
public sealed record ReadingPlan(IPageEngine First, IPageEngine? EscalateTo, double EscalateBelow)
{
    public string FirstEngine => First.Name;

    /// <summary>Reads a page; a weak reading is read again by the other engine and the better one kept.</summary>
    public async Task<(PageRecognition Reading, bool Escalated)> ReadAsync(PageImage image, RecognitionRequest request, CancellationToken cancellationToken)
    {
        // A weak first reading goes to the other engine: retrying it with the first engine's other recipes as well reads it four times.
        var firstRequest = EscalateTo is null ? request : request with { RetryWeak = false };
        var first = First.Calibration.ApplyTo(await First.ReadAsync(image, firstRequest, cancellationToken));
        if (EscalateTo is null || first.Confidence >= EscalateBelow)
        {
            return (first, false);
        }

        PageRecognition second;
        try
        {
            // The second engine reads the same page turned the way the first found it, without looking again.
            var upright = request with { Known = first.Orientation };
            second = EscalateTo.Calibration.ApplyTo(await EscalateTo.ReadAsync(image, upright, cancellationToken));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A second opinion that fails leaves the first reading standing.
            return (first with { Recipe = $"{first.Recipe}; escalation to {EscalateTo.Name} failed: {e.Message}" }, false);
        }

        var stages = new StageTimes();
        stages.AddAll(first.Stages);
        stages.AddAll(second.Stages, "escalation.");
        var better = Better(first, second);
        return (better with { Stages = stages.Seconds }, true);
    }

    /// <summary>The engines' two readings judged by the same rule as a Tesseract page's recipes.</summary>
    public static PageRecognition Better(PageRecognition first, PageRecognition second) =>
        ReadingChoice.MostConfident([first, second], r => r.Letters, r => r.Confidence);
}
