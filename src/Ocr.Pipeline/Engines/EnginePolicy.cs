using Ocr.Pipeline.Documents;

namespace Ocr.Pipeline.Engines;

/// <summary>
/// Which engines read a job's pages, decided once at start-up from what is installed: `auto`
/// starts with the neural engine on a usable GPU, else with the configured CPU engine, and a
/// reading below the escalation threshold is read again by the other engine; an explicit
/// engine reads alone.
/// </summary>
public sealed class EnginePolicy
{
    private readonly IPageEngine _tesseract;
    private readonly IPageEngine? _neural;
    private readonly ReadingPlan _auto;

    public EnginePolicy(IPageEngine tesseract, IPageEngine? neural, bool neuralOnGpu, string cpuEngine, double escalateBelow)
    {
        _tesseract = tesseract;
        _neural = neural;
        AutoEngine = ChooseAutoEngine(neural is not null, neuralOnGpu, cpuEngine);
        var first = AutoEngine == OcrEngines.Neural ? neural! : tesseract;
        var other = neural is null ? null : first == neural ? tesseract : neural;
        _auto = new ReadingPlan(first, escalateBelow > 0 ? other : null, escalateBelow);
    }

    /// <summary>The engine `engine=auto` starts with.</summary>
    public string AutoEngine { get; }

    public static string ChooseAutoEngine(bool neuralInstalled, bool neuralOnGpu, string cpuEngine) =>
        !neuralInstalled ? OcrEngines.Tesseract
        : neuralOnGpu ? OcrEngines.Neural
        : cpuEngine;

    /// <summary>The plan for a job that asked for <paramref name="requested"/> (one of <see cref="OcrEngines.Choices"/>).</summary>
    public ReadingPlan PlanFor(string requested) => requested switch
    {
        OcrEngines.Neural => new ReadingPlan(_neural ?? throw new OcrDocumentException("the neural engine is not installed"), null, 0),
        OcrEngines.Tesseract => new ReadingPlan(_tesseract, null, 0),
        _ => _auto,
    };
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
