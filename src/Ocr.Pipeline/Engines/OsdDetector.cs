using Ocr.Pipeline.Native;

namespace Ocr.Pipeline.Engines;

/// <summary>
/// Tesseract's orientation and script detection, one instance for a whole pool: it loads its
/// model (about 32 MB resident) only when a page first needs it, and pages needing it are rare
/// (those the ascender count cannot settle and whose first reading does not look upright), so
/// the workers take turns. Thread-safe.
/// </summary>
public sealed class OsdDetector(string? dataPath) : IDisposable
{
    // Tesseract page segmentation mode 0 (tesseract/publictypes.h): orientation and script only.
    private const int PsmOsdOnly = 0;

    // OSD confidence below ~2 is noise (too little text to tell).
    private const float MinimumConfidence = 2.0f;

    private readonly Lock _gate = new();
    private IntPtr _api;
    private bool _disposed;

    /// <summary>The page's rotation in degrees clockwise (0, 90, 180, 270), or 0 when it cannot tell.</summary>
    public int Rotation(PageImage image)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var api = Loaded();
            TesseractApi.TessBaseAPISetImage2(api, image.Handle);
            try
            {
                var found = TesseractApi.TessBaseAPIDetectOrientationScript(api, out var degrees, out var confidence, out _, out _);
                return found != 0 && confidence >= MinimumConfidence && degrees is 90 or 180 or 270 ? degrees : 0;
            }
            finally
            {
                TesseractApi.TessBaseAPIClear(api);
            }
        }
    }

    private IntPtr Loaded()
    {
        if (_api != IntPtr.Zero)
        {
            return _api;
        }

        NativeLibraries.EnsureLoaded();
        var api = TesseractApi.TessBaseAPICreate();
        try
        {
            TesseractEngine.Load(api, dataPath, "osd");
        }
        catch
        {
            TesseractApi.TessBaseAPIDelete(api);
            throw;
        }

        TesseractApi.TessBaseAPISetPageSegMode(api, PsmOsdOnly);
        return _api = api;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_api != IntPtr.Zero)
            {
                TesseractApi.TessBaseAPIEnd(_api);
                TesseractApi.TessBaseAPIDelete(_api);
                _api = IntPtr.Zero;
            }
        }
    }
}
