using System.Text;

namespace Ocr.Pipeline.Documents;

/// <summary>A TXT or RTF upload: one page of text, returned as written.</summary>
public sealed class TextDocument : IDocument
{
    private readonly string _text;

    private TextDocument(string text) => _text = text;

    public int PageCount => 1;

    public static async Task<TextDocument> OpenAsync(string path, bool isRtf, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        var text = isRtf ? RtfConverter.ToPlainText(Encoding.Latin1.GetString(bytes)) : Decode(bytes);
        return new TextDocument(text);
    }

    /// <summary>UTF-8 (with or without BOM), UTF-16 with BOM, else Latin-1.</summary>
    public static string Decode(byte[] bytes)
    {
        if (bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }))
        {
            return Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        }

        if (bytes.AsSpan().StartsWith(new byte[] { 0xFF, 0xFE }))
        {
            return Encoding.Unicode.GetString(bytes, 2, bytes.Length - 2);
        }

        if (bytes.AsSpan().StartsWith(new byte[] { 0xFE, 0xFF }))
        {
            return Encoding.BigEndianUnicode.GetString(bytes, 2, bytes.Length - 2);
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(bytes);
        }
    }

    public Task<LoadedPage> LoadPageAsync(int pageNumber, CancellationToken cancellationToken) =>
        Task.FromResult<LoadedPage>(new TextPage(pageNumber, _text, PageSources.TextFile, 0, 0));

    public void Dispose()
    {
    }
}
