using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Rendering;

/// <summary>What every renderer is a function of: a finished job's pages and its text.</summary>
public sealed record ResultDocument(string JobId, string ExtractedText, string ModelUsed, IReadOnlyList<PageModel> Pages)
{
    /// <summary>Why the pages cannot be drawn with word positions, or null when they can.</summary>
    public string? WhyNoGeometry()
    {
        if (Pages.Any(p => p.Source == PageSources.TextFile))
        {
            return "a text upload has no page image or word positions; ask for json, txt or md";
        }

        return Pages.Any(p => !p.HasGeometry)
            ? "this job was read before word positions were recorded; ask for json, txt or md, or submit the file again"
            : null;
    }
}

/// <summary>The result formats of SPEC.md: name, media type, and whether word positions are needed.</summary>
public sealed record ResultFormat(string Name, string MediaType, bool NeedsGeometry)
{
    public static readonly ResultFormat Json = new("json", "application/json", false);
    public static readonly ResultFormat Text = new("txt", "text/plain; charset=utf-8", false);
    public static readonly ResultFormat Hocr = new("hocr", "text/html; charset=utf-8", true);
    public static readonly ResultFormat Alto = new("alto", "application/xml; charset=utf-8", true);
    public static readonly ResultFormat Pdf = new("pdf", "application/pdf", true);
    public static readonly ResultFormat Markdown = new("md", "text/markdown; charset=utf-8", false);

    public static readonly IReadOnlyList<ResultFormat> All = [Json, Text, Hocr, Alto, Pdf, Markdown];

    public static ResultFormat? Named(string? name) =>
        string.IsNullOrEmpty(name) ? Json : All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
}
