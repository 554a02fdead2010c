using System.IO.Compression;
using System.Runtime.InteropServices;
using OpenCvSharp;

namespace Ocr.Pipeline.Documents;

/// <summary>How a scan's samples are laid out: per pixel, <see cref="Components"/> samples of
/// <see cref="BitsPerComponent"/> bits, rows padded to whole bytes; <see cref="GrayPalette"/>
/// maps an indexed image's samples to gray levels.</summary>
internal sealed record SampleLayout(int Width, int Height, int Components, int BitsPerComponent, byte[]? GrayPalette = null)
{
    public int RowBytes => ((Width * Components * BitsPerComponent) + 7) / 8;

    /// <summary>The PNG predictor's byte distance to the same sample of the previous pixel.</summary>
    public int BytesPerPixel => Math.Max(1, Components * BitsPerComponent / 8);

    public bool IsSupported =>
        Width > 0 && Height > 0
        && (GrayPalette is not null
            ? Components == 1 && BitsPerComponent is 1 or 2 or 4 or 8 && GrayPalette.Length >= 1 << BitsPerComponent
            : (Components == 1 && BitsPerComponent is 1 or 2 or 4 or 8) || (Components == 3 && BitsPerComponent == 8));
}

/// <summary>
/// A scan's samples decoded into an 8-bit gray page as poppler's renderer would draw it.
/// </summary>
internal static class ScanPixels
{
    // Weights poppler gives red, green and blue for a gray level (0.30, 0.59, 0.11), in 1/65536.
    private const int RedWeight = 19661;
    private const int GreenWeight = 38666;
    private const int BlueWeight = 7209;

    /// <summary>Filter names of PDF's PNG predictor rows (RFC 2083: none, sub, up, average, Paeth).</summary>
    private enum PngFilter : byte
    {
        None = 0,
        Sub = 1,
        Up = 2,
        Average = 3,
        Paeth = 4,
    }

    /// <summary>
    /// pdftoppm draws a scan at its own resolution half a pixel off the sample grid, so each pixel
    /// it writes is the mean of a 2x2 block of samples (measured on a synthetic page: a 3x3 dot
    /// comes out 2x2 with half-tone edges). Tesseract reads the drawn page better than the bare
    /// samples (perf.py's 24 pages through the tesseract CLI: 13.2 % CER drawn, 14.2 % bare), so the
    /// samples are given the same 2x2 mean.
    /// </summary>
    public static Mat AsDrawn(Mat samples)
    {
        var drawn = new Mat();
        Cv2.Blur(samples, drawn, new Size(2, 2), new Point(1, 1), BorderTypes.Replicate);
        return drawn;
    }

    /// <summary>Gray levels of one row of samples.</summary>
    public static void ToGrayRow(ReadOnlySpan<byte> samples, Span<byte> gray, SampleLayout layout)
    {
        var width = layout.Width;
        if (layout.Components == 3)
        {
            for (var x = 0; x < width; x++)
            {
                var i = x * 3;
                gray[x] = (byte)(((samples[i] * RedWeight) + (samples[i + 1] * GreenWeight) + (samples[i + 2] * BlueWeight) + 32768) >> 16);
            }

            return;
        }

        var bits = layout.BitsPerComponent;
        var palette = layout.GrayPalette;
        if (bits == 8)
        {
            if (palette is null)
            {
                samples[..width].CopyTo(gray);
                return;
            }

            for (var x = 0; x < width; x++)
            {
                gray[x] = palette[samples[x]];
            }

            return;
        }

        var mask = (1 << bits) - 1;
        for (var x = 0; x < width; x++)
        {
            var bit = x * bits;
            var value = (samples[bit >> 3] >> (8 - bits - (bit & 7))) & mask;
            gray[x] = palette is not null ? palette[value] : (byte)(value * 255 / mask);
        }
    }

    /// <summary>Undoes one row's PNG predictor in place; <paramref name="previous"/> is the row above, already undone (zeros for the first).</summary>
    /// <exception cref="InvalidDataException">The row names no PNG filter.</exception>
    public static void UndoPngFilter(byte filter, Span<byte> row, ReadOnlySpan<byte> previous, int bytesPerPixel)
    {
        switch ((PngFilter)filter)
        {
            case PngFilter.None:
                return;
            case PngFilter.Sub:
                for (var i = bytesPerPixel; i < row.Length; i++)
                {
                    row[i] += row[i - bytesPerPixel];
                }

                return;
            case PngFilter.Up:
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] += previous[i];
                }

                return;
            case PngFilter.Average:
                for (var i = 0; i < row.Length; i++)
                {
                    var left = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
                    row[i] += (byte)((left + previous[i]) >> 1);
                }

                return;
            case PngFilter.Paeth:
                for (var i = 0; i < row.Length; i++)
                {
                    int left = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
                    int above = previous[i];
                    int aboveLeft = i >= bytesPerPixel ? previous[i - bytesPerPixel] : 0;
                    row[i] += (byte)Paeth(left, above, aboveLeft);
                }

                return;
            default:
                throw new InvalidDataException($"PNG predictor row filter {filter} is not one of 0-4");
        }
    }

    private static int Paeth(int left, int above, int aboveLeft)
    {
        var estimate = left + above - aboveLeft;
        var toLeft = Math.Abs(estimate - left);
        var toAbove = Math.Abs(estimate - above);
        var toAboveLeft = Math.Abs(estimate - aboveLeft);
        return toLeft <= toAbove && toLeft <= toAboveLeft ? left : toAbove <= toAboveLeft ? above : aboveLeft;
    }

    /// <summary>Gray levels of samples already decoded, row after row.</summary>
    /// <exception cref="InvalidDataException">Fewer samples than the layout needs.</exception>
    public static Mat FromSamples(ReadOnlySpan<byte> samples, SampleLayout layout)
    {
        var rowBytes = layout.RowBytes;
        if (samples.Length < (long)rowBytes * layout.Height)
        {
            throw new InvalidDataException($"{samples.Length} bytes of samples for {layout.Width}x{layout.Height} needing {(long)rowBytes * layout.Height}");
        }

        var gray = new Mat(layout.Height, layout.Width, MatType.CV_8UC1);
        for (var y = 0; y < layout.Height; y++)
        {
            ToGrayRow(samples.Slice(y * rowBytes, rowBytes), Row(gray, y, layout.Width), layout);
        }

        return gray;
    }

    /// <summary>
    /// Gray levels of a Flate stream's samples, inflated a row at a time (a 300-dpi colour page is
    /// 25 MB of samples, never held whole); <paramref name="pngPredictor"/>: each row starts with
    /// its PNG filter byte.
    /// </summary>
    /// <exception cref="InvalidDataException">The stream is corrupt or ends early.</exception>
    public static Mat FromFlate(ReadOnlyMemory<byte> compressed, SampleLayout layout, bool pngPredictor)
    {
        var rowBytes = layout.RowBytes;
        var row = new byte[rowBytes + 1];
        var previous = new byte[rowBytes];
        var gray = new Mat(layout.Height, layout.Width, MatType.CV_8UC1);
        try
        {
            using var stream = new ZLibStream(AsStream(compressed), CompressionMode.Decompress);
            var lead = pngPredictor ? 1 : 0;
            for (var y = 0; y < layout.Height; y++)
            {
                stream.ReadExactly(row.AsSpan(0, rowBytes + lead));
                var samples = row.AsSpan(lead, rowBytes);
                if (pngPredictor)
                {
                    UndoPngFilter(row[0], samples, previous, layout.BytesPerPixel);
                    samples.CopyTo(previous);
                }

                ToGrayRow(samples, Row(gray, y, layout.Width), layout);
            }

            return gray;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException)
        {
            gray.Dispose();
            throw new InvalidDataException($"the scan's Flate stream could not be read: {e.Message}", e);
        }
        catch
        {
            gray.Dispose();
            throw;
        }
    }

    /// <summary>Gray levels of a JPEG (libjpeg reads a colour one's luminance only); null when it does not decode to the expected size.</summary>
    public static Mat? FromJpeg(ReadOnlySpan<byte> jpeg, int width, int height)
    {
        var gray = Cv2.ImDecode(jpeg, ImreadModes.Grayscale);
        if (gray.Empty() || gray.Width != width || gray.Height != height || gray.Type() != MatType.CV_8UC1)
        {
            gray.Dispose();
            return null;
        }

        return gray;
    }

    private static Stream AsStream(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);

    private static unsafe Span<byte> Row(Mat mat, int y, int width) => new((byte*)mat.Ptr(y), width);
}
