namespace Ocr.Pipeline;

/// <summary>A page could not be read. Transient failures are retried; the rest fail the page at once.</summary>
public sealed class OcrPageException(string message, bool transient = false, Exception? inner = null) : Exception(message, inner)
{
    public bool Transient { get; } = transient;
}

/// <summary>The document as a whole cannot be processed (encrypted, corrupt, no pages, too large).</summary>
public sealed class OcrDocumentException(string message, Exception? inner = null) : Exception(message, inner);
