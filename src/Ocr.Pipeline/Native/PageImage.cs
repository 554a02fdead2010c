using Ocr.Pipeline.Imaging;
using Ocr.Pipeline.Native;

namespace Ocr.Pipeline;

/// <summary>An owned Leptonica image. Disposing frees the native pixels.</summary>
public sealed class PageImage : IDisposable
{
    private IntPtr _pix;

    internal PageImage(IntPtr pix)
    {
        if (pix == IntPtr.Zero)
        {
            throw new ArgumentException("Leptonica returned no image", nameof(pix));
        }

        _pix = pix;
    }

    internal IntPtr Handle => _pix != IntPtr.Zero ? _pix : throw new ObjectDisposedException(nameof(PageImage));

    public int Width => LeptonicaApi.pixGetWidth(Handle);

    public int Height => LeptonicaApi.pixGetHeight(Handle);

    public int Depth => LeptonicaApi.pixGetDepth(Handle);

    /// <summary>Horizontal resolution stored in the file; 0 when it carries none.</summary>
    public int Resolution => LeptonicaApi.pixGetXRes(Handle);

    public void SetResolution(int ppi) => LeptonicaApi.pixSetResolution(Handle, ppi, ppi);

    /// <summary>An independent copy (recipes are tried on copies, the page itself stays as it came).</summary>
    public PageImage Copy() => new(LeptonicaApi.pixCopy(IntPtr.Zero, Handle));

    /// <summary>Tilts smaller than this are left alone: turning costs a resampling for nothing readable.</summary>
    private const double MinimumDeskew = 0.1;

    /// <summary>
    /// Straightens the page (projection-profile search and rotation in OpenCV); returns the
    /// degrees it was turned counter-clockwise, 0 when it was left as it came.
    /// </summary>
    public double Deskew()
    {
        using var gray = PixelBridge.ToGray(this);
        return Straighten(SkewDetector.FindSkew(gray), gray);
    }

    /// <summary>Turns the page <paramref name="degrees"/> counter-clockwise about its centre (a tilt already measured); returns the degrees turned.</summary>
    public double Straighten(double degrees) => Straighten(degrees, gray: null);

    /// <summary>The turn itself, from <paramref name="gray"/> when the caller already has the page in gray.</summary>
    private double Straighten(double degrees, OpenCvSharp.Mat? gray)
    {
        if (Math.Abs(degrees) < MinimumDeskew)
        {
            return 0;
        }

        using var colour = Depth == 32 ? PixelBridge.ToMat(this) : null;
        using var ownGray = colour is null && gray is null ? PixelBridge.ToGray(this) : null;
        using var straight = PageFilters.Rotate(colour ?? gray ?? ownGray!, degrees);
        Adopt(PixelBridge.ToPage(straight, Resolution));
        return degrees;
    }

    /// <summary>Turns the page <paramref name="degrees"/> (a multiple of 90) counter-clockwise.</summary>
    internal void TurnCounterClockwise(int degrees)
    {
        var clockwiseQuads = ((360 - (degrees % 360)) % 360) / 90;
        if (clockwiseQuads != 0)
        {
            Replace(pix => LeptonicaApi.pixRotateOrth(pix, clockwiseQuads));
        }
    }

    /// <summary>Takes over <paramref name="replacement"/>'s pixels; the replacement is left empty.</summary>
    internal void Adopt(PageImage replacement)
    {
        var next = replacement._pix;
        replacement._pix = IntPtr.Zero;
        GC.SuppressFinalize(replacement);
        LeptonicaApi.pixDestroy(ref _pix);
        _pix = next;
    }

    /// <summary>Replaces this image by <paramref name="transform"/>'s result (when it returns one).</summary>
    internal void Replace(Func<IntPtr, IntPtr> transform)
    {
        var next = transform(Handle);
        if (next == IntPtr.Zero)
        {
            return;
        }

        if (next == _pix)
        {
            // Leptonica returns a clone (same pixels, reference count + 1) when nothing changed: drop that reference.
            LeptonicaApi.pixDestroy(ref next);
            return;
        }

        LeptonicaApi.pixDestroy(ref _pix);
        _pix = next;
    }

    // Pages dropped by a cancelled stream are never disposed explicitly; the finalizer frees them.
    ~PageImage() => Free();

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_pix != IntPtr.Zero)
        {
            LeptonicaApi.pixDestroy(ref _pix);
        }
    }
}
