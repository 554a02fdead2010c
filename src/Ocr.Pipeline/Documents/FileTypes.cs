namespace Ocr.Pipeline.Documents;

/// <summary>
/// Which extensions the service can read and what their first bytes must look like. Uploads are
/// further limited to OCR_ALLOWED_EXTENSIONS (by default SPEC.md's list, without GIF/WebP/PNM).
/// </summary>
public static class FileTypes
{
    /// <summary>Bytes of the file head that <see cref="Check"/> needs.</summary>
    public const int HeadLength = 8192;

    private static readonly Dictionary<string, DocumentKind> Kinds = new(StringComparer.OrdinalIgnoreCase)
    {
        [".pdf"] = DocumentKind.Pdf,
        [".png"] = DocumentKind.Image,
        [".jpg"] = DocumentKind.Image,
        [".jpeg"] = DocumentKind.Image,
        [".bmp"] = DocumentKind.Image,
        [".tif"] = DocumentKind.Tiff,
        [".tiff"] = DocumentKind.Tiff,
        [".gif"] = DocumentKind.Image,
        [".webp"] = DocumentKind.Image,
        [".pbm"] = DocumentKind.Image,
        [".pgm"] = DocumentKind.Image,
        [".pnm"] = DocumentKind.Image,
        [".txt"] = DocumentKind.Text,
        [".rtf"] = DocumentKind.Rtf,
    };

    public static IReadOnlyCollection<string> KnownExtensions => Kinds.Keys;

    public static DocumentKind? KindOf(string extension) =>
        Kinds.TryGetValue(extension, out var kind) ? kind : null;

    /// <summary>
    /// Null when the head of the file matches what <paramref name="extension"/> promises,
    /// otherwise a message saying why not.
    /// </summary>
    public static string? Check(string extension, ReadOnlySpan<byte> head)
    {
        var ext = extension.ToLowerInvariant();
        var ok = ext switch
        {
            ".pdf" => head.IndexOf("%PDF-"u8) is >= 0 and < 1024,
            ".png" => head.StartsWith(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }),
            ".jpg" or ".jpeg" => head.StartsWith(new byte[] { 0xFF, 0xD8, 0xFF }),
            ".bmp" => head.StartsWith("BM"u8),
            ".tif" or ".tiff" => head.StartsWith("II*\0"u8) || head.StartsWith("MM\0*"u8),
            ".gif" => head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8),
            ".webp" => head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8),
            ".pbm" or ".pgm" or ".pnm" => head.Length >= 2 && head[0] == (byte)'P' && head[1] is >= (byte)'1' and <= (byte)'6',
            ".rtf" => head.TrimStart(" \t\r\n"u8).StartsWith("{\\rtf"u8),
            ".txt" => LooksLikeText(head),
            _ => false,
        };
        return ok ? null : $"the content of the file does not match its extension '{ext}'";
    }

    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(new byte[] { 0xFF, 0xFE }) || head.StartsWith(new byte[] { 0xFE, 0xFF }))
        {
            return true;
        }

        var control = 0;
        foreach (var b in head)
        {
            if (b == 0)
            {
                return false;
            }

            if (b < 0x20 && b is not (byte)'\t' and not (byte)'\n' and not (byte)'\r' and not 0x0C and not 0x1B)
            {
                control++;
            }
        }

        return control <= head.Length / 100;
    }
}
