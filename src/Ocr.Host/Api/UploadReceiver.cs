using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Ocr.Host.Configuration;
using Ocr.Pipeline.Documents;

namespace Ocr.Host.Api;

/// <summary>
/// Reads a multipart submission as a stream: the one `file` part goes straight to disk under a
/// name the service chooses (the client's file name is only a display name), the size limit is
/// enforced while streaming, and extension and magic bytes are checked.
/// </summary>
public sealed class UploadReceiver(OcrServiceOptions options)
{
    private const int MaxFieldLength = 1024;

    public sealed record Upload(string FileName, long Size, string StoredPath, DocumentKind Kind, IReadOnlyDictionary<string, string> Fields);

    public sealed record Rejection(int Status, string Message);

    public async Task<(Upload? Upload, Rejection? Rejection)> ReceiveAsync(HttpContext context, string storedPath, CancellationToken cancellationToken)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null; // enforced below, per file, while streaming
        }

        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType) ||
            !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return (null, new Rejection(400, "the request must be multipart/form-data with a 'file' part"));
        }

        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary))
        {
            return (null, new Rejection(400, "the multipart body has no boundary"));
        }

        var reader = new MultipartReader(boundary, context.Request.Body) { HeadersLengthLimit = 16 * 1024 };
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? fileName = null;
        long size = 0;
        byte[]? head = null;
        var tooLarge = false;
        try
        {
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync(cancellationToken)) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) ||
                    !disposition.DispositionType.Equals("form-data"))
                {
                    return (null, new Rejection(400, "a multipart section has no form-data Content-Disposition"));
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                var isFile = disposition.FileName.HasValue || disposition.FileNameStar.HasValue;
                if (!isFile)
                {
                    if (name.Equals("file", StringComparison.OrdinalIgnoreCase))
                    {
                        return (null, new Rejection(400, "the 'file' part must be a file upload with a file name"));
                    }

                    using var fieldReader = new StreamReader(section.Body);
                    var buffer = new char[MaxFieldLength + 1];
                    var read = await fieldReader.ReadBlockAsync(buffer, cancellationToken);
                    if (read > MaxFieldLength)
                    {
                        return (null, new Rejection(400, $"the form field '{name}' is too long"));
                    }

                    fields[name] = new string(buffer, 0, read).Trim();
                    continue;
                }

                if (!name.Equals("file", StringComparison.OrdinalIgnoreCase))
                {
                    await Drain(section.Body, cancellationToken);
                    continue;
                }

                if (fileName is not null)
                {
                    return (null, new Rejection(400, "exactly one 'file' part is allowed"));
                }

                fileName = (HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value is { Length: > 0 } star ? star : HeaderUtilities.RemoveQuotes(disposition.FileName).Value) ?? "";
                var extension = Path.GetExtension(fileName).ToLowerInvariant();
                if (string.IsNullOrWhiteSpace(fileName) || !options.AllowedExtensionSet.Contains(extension))
                {
                    return (null, new Rejection(400,
                        $"file type '{(extension.Length == 0 ? "(none)" : extension)}' is not allowed; allowed: {string.Join(", ", options.AllowedExtensionSet.Order())}"));
                }

                (size, head, tooLarge) = await CopyLimited(section.Body, storedPath, options.MaxFileSizeBytes, cancellationToken);
                if (tooLarge)
                {
                    // Read the rest so the client sees the 413 instead of a reset connection.
                    await Drain(context.Request.Body, cancellationToken, limit: Math.Max(options.MaxFileSizeBytes * 4, 64L << 20));
                    return (null, new Rejection(413, $"the file is larger than the limit of {options.MaxFileSizeMb} MB"));
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
        {
            return (null, new Rejection(400, $"the multipart body is malformed: {e.Message}"));
        }

        if (fileName is null)
        {
            return (null, new Rejection(400, "no file was uploaded: send it as the multipart field 'file'"));
        }

        if (size == 0)
        {
            return (null, new Rejection(400, "the uploaded file is empty"));
        }

        var ext = Path.GetExtension(fileName).ToLowerInvariant();
        if (FileTypes.Check(ext, head) is { } mismatch)
        {
            return (null, new Rejection(400, mismatch));
        }

        return (new Upload(fileName, size, storedPath, FileTypes.KindOf(ext)!.Value, fields), null);
    }

    private static async Task<(long Size, byte[] Head, bool TooLarge)> CopyLimited(Stream source, string path, long limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        var head = new MemoryStream();
        long total = 0;
        try
        {
            await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > limit)
                {
                    return (total, head.ToArray(), true);
                }

                if (head.Length < FileTypes.HeadLength)
                {
                    head.Write(buffer, 0, (int)Math.Min(read, FileTypes.HeadLength - head.Length));
                }

                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (total, head.ToArray(), false);
    }

    private static async Task Drain(Stream stream, CancellationToken cancellationToken, long limit = long.MaxValue)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            long total = 0;
            int read;
            while (total < limit && (read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
