using Ocr.Pipeline.Pages;

namespace Ocr.Actors.Jobs;

/// <summary>
/// A finished page as the journal keeps it (inside <see cref="JobEvents.PageCompleted"/>). The
/// field names are a contract with every event already written: add fields, never rename.
/// Pages written before word geometry was recorded have no <see cref="Blocks"/>.
/// </summary>
public sealed record StoredPage(
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
    string? Node = null,
    int? Dpi = null,
    IReadOnlyList<StoredBlock>? Blocks = null,
    PageQuality? Quality = null)
{
    public static StoredPage From(PageModel page) => new(
        page.PageNumber, page.Text, page.Confidence, page.Source, page.Width, page.Height, page.ProcessingTime, page.Rotation, page.DeskewAngle,
        page.Engine, page.Escalated, page.GpuUsed, page.Node, page.Dpi,
        page.Blocks?.Select(b => new StoredBlock(b.Lines.Select(StoredLine.From).ToList())).ToList(), page.Quality);

    /// <summary>The page without its text and words: what a job's state keeps (they stay in the job's events).</summary>
    public StoredPage Summary() => Text.Length == 0 && Blocks is null ? this : this with { Text = "", Blocks = null };

    public PageModel ToModel() => new(
        PageNumber, Text, Confidence, Source, Engine, Width, Height, Dpi, Rotation, DeskewAngle,
        Blocks?.Select(b => TextBlock.Of(b.Lines.Select(l => l.ToModel()).ToList())).ToList(), Quality, ProcessingTime, Escalated, GpuUsed, Node);
}

/// <summary>A block as stored: its lines (its box is theirs).</summary>
public sealed record StoredBlock(IReadOnlyList<StoredLine> Lines);

/// <summary>A line as stored; boxes as <c>[x0, y0, x1, y1]</c>.</summary>
public sealed record StoredLine(string Text, double Confidence, int[] Box, IReadOnlyList<StoredWord> Words)
{
    public static StoredLine From(TextLine line) =>
        new(line.Text, line.Confidence, line.Box.ToArray(), line.Words.Select(w => new StoredWord(w.Text, w.Confidence, w.Box.ToArray())).ToList());

    public TextLine ToModel() =>
        new(Text, Confidence, Pipeline.Pages.Box.FromArray(Box), Words.Select(w => new TextWord(w.Text, w.Confidence, Pipeline.Pages.Box.FromArray(w.Box))).ToList());
}

public sealed record StoredWord(string Text, double Confidence, int[] Box);
