using Ocr.Pipeline.Native;

namespace Ocr.Pipeline.Imaging;

/// <summary>
/// Reads an 8-bit binary greymap (PGM, "P5"), as pdftoppm -gray writes it to its standard
/// output, straight into a Leptonica image: no temporary file, and a word-at-a-time copy
/// where Leptonica's own PNM reader goes pixel by pixel (about 150 ms for a 300-dpi page).
/// </summary>
internal static class GraymapReader
{
    private const int MaximumHeaderBytes = 1024;

    /// <exception cref="InvalidDataException">The stream is not an 8-bit binary greymap, or ends early.</exception>
    public static async Task<PageImage> ReadAsync(Stream stream, int resolution, CancellationToken cancellationToken)
    {
        var header = new HeaderReader(stream);
        if (await header.TokenAsync(cancellationToken) != "P5")
        {
            throw new InvalidDataException("not a binary greymap (P5)");
        }

        var width = await header.NumberAsync(cancellationToken);
        var height = await header.NumberAsync(cancellationToken);
        var maximum = await header.NumberAsync(cancellationToken);
        if (width <= 0 || height <= 0 || maximum is <= 0 or > 255)
        {
            throw new InvalidDataException($"unsupported greymap {width}x{height}, maximum value {maximum}");
        }

        var pix = LeptonicaApi.pixCreate(width, height, 8);
        if (pix == IntPtr.Zero)
        {
            throw new OcrPageException("out of memory for the page image");
        }

        var image = new PageImage(pix);
        try
        {
            image.SetResolution(resolution);
            var rowBytes = LeptonicaApi.pixGetWpl(pix) * 4;
            var row = new byte[width];
            var data = LeptonicaApi.pixGetData(pix);
            var pending = header.Leftover;
            for (var y = 0; y < height; y++)
            {
                var filled = Math.Min(pending.Length, width);
                pending.Span[..filled].CopyTo(row);
                pending = pending[filled..];
                if (filled < width)
                {
                    await stream.ReadExactlyAsync(row.AsMemory(filled, width - filled), cancellationToken);
                }

                CopyRow(row, data + (nint)y * rowBytes);
            }

            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    private static unsafe void CopyRow(byte[] row, IntPtr target)
    {
        fixed (byte* input = row)
        {
            LeptonicaRows.CopyIn(input, (byte*)target, row.Length);
        }
    }

    /// <summary>Reads the header's whitespace-separated fields (skipping # comments) through a small buffer.</summary>
    private sealed class HeaderReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[MaximumHeaderBytes];
        private int _position;
        private int _length;

        /// <summary>What was read past the header: the first pixels.</summary>
        public ReadOnlyMemory<byte> Leftover => _buffer.AsMemory(_position, _length - _position);

        public async Task<int> NumberAsync(CancellationToken cancellationToken)
        {
            var token = await TokenAsync(cancellationToken);
            return int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new InvalidDataException($"greymap header field '{token}' is not a number");
        }

        public async Task<string> TokenAsync(CancellationToken cancellationToken)
        {
            var token = new System.Text.StringBuilder();
            var inComment = false;
            while (true)
            {
                var next = await NextAsync(cancellationToken);
                if (next < 0)
                {
                    throw new EndOfStreamException("the greymap ends inside its header");
                }

                var c = (char)next;
                if (inComment)
                {
                    inComment = c != '\n';
                }
                else if (c == '#' && token.Length == 0)
                {
                    inComment = true;
                }
                else if (char.IsWhiteSpace(c))
                {
                    // A single whitespace byte ends the last field; pixels start right after it.
                    if (token.Length > 0)
                    {
                        return token.ToString();
                    }
                }
                else if (token.Length >= 16)
                {
                    throw new InvalidDataException("greymap header field too long");
                }
                else
                {
                    token.Append(c);
                }
            }
        }

        private async Task<int> NextAsync(CancellationToken cancellationToken)
        {
            if (_position == _length)
            {
                if (_length == _buffer.Length)
                {
                    throw new InvalidDataException("greymap header too long");
                }

                var read = await stream.ReadAsync(_buffer.AsMemory(_length), cancellationToken);
                if (read == 0)
                {
                    return -1;
                }

                _length += read;
            }

            return _buffer[_position++];
        }
    }
}
