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

    /// <summary>Straightens the page (Leptonica's projection-profile search); returns the angle corrected, in degrees.</summary>
    public double Deskew()
    {
        var deskew = 0.0;
        Replace(pix =>
        {
            var result = LeptonicaApi.pixFindSkewAndDeskew(pix, 2, out var angle, out var confidence);
            deskew = confidence > 0 ? angle : 0;
            return result;
        });
        return deskew;
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
