namespace Ocr.Pipeline.Documents;

/// <summary>An opened upload whose pages load one at a time.</summary>
public interface IDocument : IDisposable
{
    int PageCount { get; }

    Task<LoadedPage> LoadPageAsync(int pageNumber, CancellationToken cancellationToken);

    /// <summary>The pages about to be loaded, in order: a document that renders ahead renders only these.</summary>
    void Plan(IReadOnlyList<int> pages)
    {
    }
}
