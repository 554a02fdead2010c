namespace Ocr.Pipeline.Pages;

/// <summary>
/// Whether a page is worth reading as it is, and if not why: a portal can ask for a rescan.
/// <see cref="Verdict"/> is <c>ok</c>, <c>poor</c> (read, but the text is likely to be wrong) or
/// <c>unreadable</c> (nothing useful could be read).
/// </summary>
public sealed record PageQuality(string Verdict, IReadOnlyList<QualityIssue> Issues)
{
    public const string Ok = "ok";
    public const string Poor = "poor";
    public const string Unreadable = "unreadable";

    public static readonly PageQuality Good = new(Ok, []);
}

/// <summary>One finding: a stable code (<see cref="QualityCodes"/>) and a sentence for people.</summary>
public sealed record QualityIssue(string Code, string Reason);

public static class QualityCodes
{
    public const string Blank = "blank";
    public const string LowContrast = "low_contrast";
    public const string TooSmall = "too_small";
    public const string LowResolution = "low_resolution";
    public const string Skewed = "skewed";
    public const string NoText = "no_text";
    public const string LowConfidence = "low_confidence";
}

/// <summary>What the verdict is decided from: measured on the image and on the reading.</summary>
public sealed record QualitySignals(
    int Width,
    int Height,
    int? Dpi,
    double InkShare,
    double ContrastRange,
    double DeskewAngle,
    int Letters,
    double Confidence,
    double MedianLineHeight);

/// <summary>The verdict as a pure function of the signals; thresholds are where the eval set's readings fall apart.</summary>
public static class QualityRules
{
    // Less than this share of dark pixels is an empty page (a scanner's dust is ~0.05 %).
    private const double BlankInk = 0.002;

    // Between the 5th and 95th gray percentiles: a faded copy keeps ~60 levels; below 40 letters break up.
    private const double LowContrastRange = 40;

    private const int MinimumSide = 500;

    private const int MinimumDpi = 150;

    // Tesseract reads text from ~20 px x-height; lines under 12 px tall lose most letters.
    private const double MinimumLineHeight = 12;

    private const double HeavySkew = 5;

    private const double LowConfidence = 0.6;

    public static PageQuality Judge(QualitySignals s)
    {
        var issues = new List<QualityIssue>();
        var unreadable = false;
        if (s.InkShare < BlankInk)
        {
            issues.Add(new(QualityCodes.Blank, "the page is blank (almost no dark pixels)"));
            unreadable = true;
        }
        else if (s.ContrastRange < LowContrastRange)
        {
            issues.Add(new(QualityCodes.LowContrast, $"the writing is faint: only {s.ContrastRange:0} gray levels between paper and ink (rescan darker)"));
        }

        if (Math.Min(s.Width, s.Height) < MinimumSide)
        {
            issues.Add(new(QualityCodes.TooSmall, $"the page is only {s.Width}x{s.Height} pixels (scan at 300 dpi)"));
        }

        if (s.Dpi is { } dpi && dpi > 0 && dpi < MinimumDpi)
        {
            issues.Add(new(QualityCodes.LowResolution, $"the page is {dpi} dpi (scan at 300 dpi)"));
        }
        else if (s.Letters > 0 && s.MedianLineHeight > 0 && s.MedianLineHeight < MinimumLineHeight)
        {
            issues.Add(new(QualityCodes.LowResolution, $"text lines are {s.MedianLineHeight:0} pixels tall (scan at a higher resolution)"));
        }

        if (Math.Abs(s.DeskewAngle) >= HeavySkew)
        {
            issues.Add(new(QualityCodes.Skewed, $"the page was tilted {s.DeskewAngle:0.#} degrees (straightened, but lay it flat when rescanning)"));
        }

        if (!unreadable && s.Letters < 3)
        {
            issues.Add(new(QualityCodes.NoText, "no printed text was found: the page may be handwritten, a picture, or empty"));
            unreadable = true;
        }
        else if (s.Letters >= 3 && s.Confidence < LowConfidence)
        {
            issues.Add(new(QualityCodes.LowConfidence, $"the reading is unsure (confidence {s.Confidence:0.00}): the page may be handwritten or damaged"));
        }

        var verdict = unreadable ? PageQuality.Unreadable
            : issues.Any(i => i.Code is QualityCodes.LowContrast or QualityCodes.LowConfidence or QualityCodes.LowResolution or QualityCodes.TooSmall) ? PageQuality.Poor
            : PageQuality.Ok;
        return new PageQuality(verdict, issues);
    }
}
