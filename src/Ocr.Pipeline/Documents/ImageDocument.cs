using System.Runtime.InteropServices;
using Ocr.Pipeline.Native;

namespace Ocr.Pipeline.Documents;

/// <summary>PNG, JPEG, BMP or (multi-page) TIFF decoded by Leptonica, one page at a time.</summary>
public sealed class ImageDocument : IDocument
{
    private readonly byte[] _bytes;
    private readonly long _maxPixels;
    private readonly List<nuint> _tiffOffsets = [];
    private readonly bool _isTiff;
    private readonly int _exifRotation;

    private ImageDocument(byte[] bytes, bool isTiff, long maxPixels)
    {
        _bytes = bytes;
        _isTiff = isTiff;
        _maxPixels = maxPixels;
        _exifRotation = isTiff ? 0 : ExifOrientation.ClockwiseDegrees(bytes);
    }

    public int PageCount { get; private set; } = 1;

    public static async Task<ImageDocument> OpenAsync(string path, bool isTiff, long maxPixels, CancellationToken cancellationToken)
    {
        NativeLibraries.EnsureLoaded();
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        var document = new ImageDocument(bytes, isTiff, maxPixels);
        document.CheckHeader();
        if (isTiff)
        {
            document.IndexTiffPages();
        }

        return document;
    }

    public Task<LoadedPage> LoadPageAsync(int pageNumber, CancellationToken cancellationToken)
    {
        if (pageNumber < 1 || pageNumber > PageCount)
        {
            throw new ArgumentOutOfRangeException(nameof(pageNumber));
        }

        var image = new PageImage(Decode(pageNumber));
        try
        {
            CheckSize(image.Width, image.Height);
            image.Replace(LeptonicaApi.pixRemoveAlpha);
            if (_exifRotation != 0)
            {
                image.Replace(pix => LeptonicaApi.pixRotateOrth(pix, _exifRotation / 90));
            }

            return Task.FromResult<LoadedPage>(new ImagePage(pageNumber, image));
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    private unsafe IntPtr Decode(int pageNumber)
    {
        fixed (byte* data = _bytes)
        {
            IntPtr pix;
            if (_isTiff)
            {
                var offset = _tiffOffsets[pageNumber - 1];
                pix = LeptonicaApi.pixReadMemFromMultipageTiff((IntPtr)data, (nuint)_bytes.Length, ref offset);
            }
            else
            {
                pix = LeptonicaApi.pixReadMem((IntPtr)data, (nuint)_bytes.Length);
            }

            return pix != IntPtr.Zero
                ? pix
                : throw new OcrDocumentException("the image is corrupt or truncated and could not be decoded");
        }
    }

    private unsafe void CheckHeader()
    {
        // Checked by hand first: Leptonica itself refuses absurd headers with a vaguer message.
        if (DeclaredSize(_bytes) is var (declaredWidth, declaredHeight))
        {
            CheckSize(declaredWidth, declaredHeight);
        }

        fixed (byte* data = _bytes)
        {
            if (LeptonicaApi.pixReadHeaderMem((IntPtr)data, (nuint)_bytes.Length, out _, out var width, out var height, out _, out _, out _) != 0)
            {
                throw new OcrDocumentException("the image header is corrupt or the format is not supported");
            }

            CheckSize(width, height);
        }
    }

    /// <summary>Width and height as a BMP or PNG header states them, before anything is decoded.</summary>
    private static (long Width, long Height)? DeclaredSize(ReadOnlySpan<byte> file)
    {
        if (file.Length >= 26 && file.StartsWith("BM"u8))
        {
            return (Math.Abs((long)BitConverter.ToInt32(file[18..22])), Math.Abs((long)BitConverter.ToInt32(file[22..26])));
        }

        if (file.Length >= 24 && file.StartsWith(new byte[] { 0x89, 0x50, 0x4E, 0x47 }))
        {
            return (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(file[16..20]), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(file[20..24]));
        }

        return null;
    }

    private void CheckSize(long width, long height)
    {
        if (width <= 0 || height <= 0)
        {
            throw new OcrDocumentException("the image has no pixels");
        }

        if (width * height > _maxPixels)
        {
            throw new OcrDocumentException(
                $"the image is {width}x{height} px, more than the limit of {_maxPixels:N0} px per page");
        }
    }

    private unsafe void IndexTiffPages()
    {
        fixed (byte* data = _bytes)
        {
            nuint offset = 0;
            do
            {
                var start = offset;
                var pix = LeptonicaApi.pixReadMemFromMultipageTiff((IntPtr)data, (nuint)_bytes.Length, ref offset);
                if (pix == IntPtr.Zero)
                {
                    if (_tiffOffsets.Count == 0)
                    {
                        throw new OcrDocumentException("the TIFF is corrupt or truncated and could not be decoded");
                    }

                    break;
                }

                var width = LeptonicaApi.pixGetWidth(pix);
                var height = LeptonicaApi.pixGetHeight(pix);
                LeptonicaApi.pixDestroy(ref pix);
                CheckSize(width, height);
                _tiffOffsets.Add(start);
            }
            while (offset != 0 && _tiffOffsets.Count < 10_000);
        }

        PageCount = _tiffOffsets.Count;
    }

    public void Dispose()
    {
    }
}

/// <summary>Reads the EXIF Orientation tag of a JPEG (the rotation a viewer applies to display it).</summary>
internal static class ExifOrientation
{
    public static int ClockwiseDegrees(ReadOnlySpan<byte> jpeg)
    {
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            return 0;
        }

        var position = 2;
        while (position + 4 <= jpeg.Length && jpeg[position] == 0xFF)
        {
            var marker = jpeg[position + 1];
            var length = (jpeg[position + 2] << 8) | jpeg[position + 3];
            if (marker == 0xE1 && position + 4 + length - 2 <= jpeg.Length)
            {
                return FromApp1(jpeg.Slice(position + 4, length - 2));
            }

            if (marker is 0xDA or 0xD9 || length < 2)
            {
                break;
            }

            position += 2 + length;
        }

        return 0;
    }

    private static int FromApp1(ReadOnlySpan<byte> app1)
    {
        if (app1.Length < 14 || !app1.StartsWith("Exif\0\0"u8))
        {
            return 0;
        }

        var tiff = app1[6..];
        var little = tiff[0] == (byte)'I';
        var ifd = U32(tiff, 4, little);
        var entries = U16(tiff, ifd, little);
        for (var i = 0; i < entries; i++)
        {
            var entry = ifd + 2 + (i * 12);
            if (U16(tiff, entry, little) == 0x0112)
            {
                return U16(tiff, entry + 8, little) switch
                {
                    3 => 180,
                    6 => 90,
                    8 => 270,
                    _ => 0,
                };
            }
        }

        return 0;
    }

    private static int U16(ReadOnlySpan<byte> b, int at, bool little) =>
        at >= 0 && at + 2 <= b.Length ? (little ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1]) : 0;

    private static int U32(ReadOnlySpan<byte> b, int at, bool little) =>
        at >= 0 && at + 4 <= b.Length
            ? (little ? b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)
                      : (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3])
            : 0;
}
