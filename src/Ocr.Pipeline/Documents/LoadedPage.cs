namespace Ocr.Pipeline.Documents;

/// <summary>Where a page's text came from (the `source` field of a page result).</summary>
public static class PageSources
{
    public const string Ocr = "ocr";
    public const string TextLayer = "text-layer";
    public const string TextFile = "text-file";
}

/// <summary>One page, ready for recognition or already read.</summary>
public abstract record LoadedPage(int PageNumber) : IDisposable
{
    public virtual void Dispose()
    {
    }
}

public sealed record ImagePage(int PageNumber, PageImage Image) : LoadedPage(PageNumber)
{
    public override void Dispose() => Image.Dispose();
}

/// <summary>A page whose text is known without OCR; <paramref name="Blocks"/> are its words where the source has positions (null: none kept).</summary>
public sealed record TextPage(int PageNumber, string Text, string Source, int Width, int Height, int? Dpi = null, IReadOnlyList<Ocr.Pipeline.Pages.TextBlock>? Blocks = null) : LoadedPage(PageNumber);
