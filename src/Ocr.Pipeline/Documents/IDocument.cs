namespace Ocr.Pipeline.Documents;

/// <summary>An opened upload whose pages load one at a time.</summary>
public interface IDocument : IDisposable
{
    int PageCount { get; }

    Task<LoadedPage> LoadPageAsync(int pageNumber, CancellationToken cancellationToken);
}
