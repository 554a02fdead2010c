using Ocr.Actors.Jobs;
using Ocr.Pipeline.Pages;

namespace Ocr.Host.Api;

/// <summary>The result object of SPEC.md (format=json).</summary>
public sealed record JobResultView(
    string JobId,
    string Status,
    string ExtractedText,
    double ConfidenceScore,
    int PageCount,
    double ProcessingTime,
    string ModelUsed,
    bool GpuUsed,
    IReadOnlyList<PageView> Pages)
{
    public static JobResultView From(JobResult result) => new(
        result.JobId, result.Status, result.ExtractedText, result.ConfidenceScore, result.PageCount, result.ProcessingTime,
        result.ModelUsed, result.GpuUsed, result.Pages.Select(PageView.From).ToList());
}

/// <summary>
/// One page of the result object: sizes and boxes in pixels of the page as uploaded (or as
/// rendered at <see cref="Dpi"/>), lines and words in reading order.
/// </summary>
public sealed record PageView(
    int PageNumber,
    string Text,
    double Confidence,
    string Source,
    int Width,
    int Height,
    int? Dpi,
    double ProcessingTime,
    int Rotation,
    double DeskewAngle,
    string? Engine,
    bool Escalated,
    bool GpuUsed,
    string? Node,
    PageQuality? Quality,
    IReadOnlyList<WordView> Lines,
    IReadOnlyList<WordView> Words)
{
    public static PageView From(PageModel page) => new(
        page.PageNumber, page.Text, page.Confidence, page.Source, page.Width, page.Height, page.Dpi, page.ProcessingTime, page.Rotation,
        page.DeskewAngle, page.Engine, page.Escalated, page.GpuUsed, page.Node, page.Quality,
        page.Lines.Select(l => new WordView(l.Text, l.Confidence, l.Box)).ToList(),
        page.Words.Select(w => new WordView(w.Text, w.Confidence, w.Box)).ToList());
}

/// <summary>A line or a word: its text, confidence (0–1) and box <c>[x0, y0, x1, y1]</c>.</summary>
public sealed record WordView(string Text, double Confidence, Box Box);
