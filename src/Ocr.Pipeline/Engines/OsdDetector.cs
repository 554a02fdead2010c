using Ocr.Pipeline.Native;

namespace Ocr.Pipeline.Engines;

/// <summary>
/// Tesseract's orientation and script detection, one instance for a whole pool: it loads its
/// model (35-48 MB resident, 70-95 ms to load) only when a page needs it, and pages needing it
/// are rare (those the ascender count cannot settle and whose first reading does not look
/// upright), so the workers take turns. The model is unloaded again once no page has needed it
/// for <c>keepLoaded</c>: one sideways page early in a long job would otherwise keep it resident
/// for the process's life. Thread-safe.
/// </summary>
public sealed class OsdDetector : IDisposable
{
    // Tesseract page segmentation mode 0 (tesseract/publictypes.h): orientation and script only.
    private const int PsmOsdOnly = 0;

    // OSD confidence below ~2 is noise (too little text to tell).
    private const float MinimumConfidence = 2.0f;

    /// <summary>How long the model stays loaded after its last use unless told otherwise.</summary>
    public static readonly TimeSpan DefaultKeepLoaded = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly string? _dataPath;
    private readonly TimeSpan _keepLoaded;
    private readonly Timer _unload;
    private IntPtr _api;
    private long _lastUse;
    private bool _disposed;

    public OsdDetector(string? dataPath, TimeSpan? keepLoaded = null)
    {
        _dataPath = dataPath;
        _keepLoaded = keepLoaded ?? DefaultKeepLoaded;
        _unload = new Timer(_ => UnloadIfIdle(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Whether the model is in memory now.</summary>
    public bool IsLoaded
    {
        get
        {
            lock (_gate)
            {
                return _api != IntPtr.Zero;
            }
        }
    }

    /// <summary>Times the model was loaded (a load after an unload counts again).</summary>
    public int Loads { get; private set; }

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
                _lastUse = Environment.TickCount64;
                _unload.Change(_keepLoaded, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void UnloadIfIdle()
    {
        lock (_gate)
        {
            if (_disposed || _api == IntPtr.Zero)
            {
                return;
            }

            var idle = TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastUse);
            if (idle < _keepLoaded)
            {
                _unload.Change(_keepLoaded - idle, Timeout.InfiniteTimeSpan);
                return;
            }

            Unload();
        }

        NativeHeap.Trim();
    }

    private void Unload()
    {
        TesseractApi.TessBaseAPIEnd(_api);
        TesseractApi.TessBaseAPIDelete(_api);
        _api = IntPtr.Zero;
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
            TesseractEngine.Load(api, _dataPath, "osd");
        }
        catch
        {
            TesseractApi.TessBaseAPIDelete(api);
            throw;
        }

        TesseractApi.TessBaseAPISetPageSegMode(api, PsmOsdOnly);
        Loads++;
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
            _unload.Dispose();
            if (_api != IntPtr.Zero)
            {
                Unload();
            }
        }
    }
}
