namespace Ocr.Pipeline.Documents;

public static class DocumentOpener
{
    /// <summary>Opens an upload by its kind. Throws <see cref="OcrDocumentException"/> for inputs that cannot be processed.</summary>
    public static async Task<IDocument> OpenAsync(string path, DocumentKind kind, int? dpi, PipelineOptions options, CancellationToken cancellationToken) =>
        kind switch
        {
            DocumentKind.Pdf => await PdfDocument.OpenAsync(path, dpi ?? options.PdfDpi, options, cancellationToken),
            DocumentKind.Image => await ImageDocument.OpenAsync(path, isTiff: false, options.MaxPagePixels, cancellationToken),
            DocumentKind.Tiff => await ImageDocument.OpenAsync(path, isTiff: true, options.MaxPagePixels, cancellationToken),
            DocumentKind.Text => await TextDocument.OpenAsync(path, isRtf: false, cancellationToken),
            DocumentKind.Rtf => await TextDocument.OpenAsync(path, isRtf: true, cancellationToken),
            _ => throw new OcrDocumentException($"unsupported document kind {kind}"),
        };
}
