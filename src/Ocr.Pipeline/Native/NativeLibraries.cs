using System.Reflection;
using System.Runtime.InteropServices;

namespace Ocr.Pipeline.Native;

/// <summary>
/// Resolves libtesseract and Leptonica by their versioned names first: the unversioned
/// names exist only where the -dev packages are installed.
/// </summary>
public static class NativeLibraries
{
    internal const string Tesseract = "tesseract";
    internal const string Leptonica = "leptonica";
    internal const string LibC = "libc";

    private static readonly string[] TesseractNames = ["libtesseract.so.5", "libtesseract.so"];
    private static readonly string[] LeptonicaNames = ["liblept.so.5", "libleptonica.so.6", "libleptonica.so", "liblept.so"];
    private static readonly Lock Gate = new();
    private static bool _resolverRegistered;
    private static volatile bool _loaded;

    /// <summary>
    /// Registers the resolver and pins OpenMP to one thread before libtesseract is first
    /// called, and loads libtesseract and Leptonica. Must run before any OpenCV-based type
    /// loads: OpenCvSharp's native library carries and exports its own libpng, and the
    /// system libpng loaded as its dependency then binds its internal calls to that copy, so
    /// Leptonica's first PNG read mixes two libpngs and the process dies ("libpng error",
    /// "double free"). This assembly's module initializer calls it; a process that may touch
    /// OpenCvSharp before this assembly (a test assembly, a benchmark) calls it first itself.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (_loaded)
        {
            return;
        }

        lock (Gate)
        {
            if (_loaded)
            {
                return;
            }

            if (!_resolverRegistered)
            {
                // Environment.SetEnvironmentVariable does not reach native getenv; libc setenv does.
                _ = setenv("OMP_THREAD_LIMIT", "1", 1);
                LimitMallocArenas();
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
                _resolverRegistered = true;
            }

            _ = TesseractApi.TessVersion();
            // Leptonica reports every decoding problem on stderr; the service reports them itself.
            _ = LeptonicaApi.setMsgSeverity(6);
            _loaded = true;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        var candidates = name switch
        {
            Tesseract => TesseractNames,
            Leptonica => LeptonicaNames,
            _ => null,
        };
        if (candidates is null)
        {
            return IntPtr.Zero;
        }

        foreach (var candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle))
            {
                return handle;
            }
        }

        throw new DllNotFoundException(
            $"Could not load {name} (tried {string.Join(", ", candidates)}). Install tesseract-ocr and libtesseract-dev.");
    }

    /// <summary>
    /// glibc gives each thread that allocates its own heap (up to 8 per core), and each keeps
    /// the high-water mark of the pages it has read: resident memory then creeps up with the
    /// page count. Two heaps hold it level (50-page scanned PDF: 509 MB peak against 561 MB,
    /// same pages/s). Set here, before the worker threads start, so glibc still honours it.
    /// </summary>
    private static void LimitMallocArenas()
    {
        // malloc.h's parameters.
        const int arenaMax = -8;
        const int mmapThreshold = -3;
        const int trimThreshold = -1;
        try
        {
            _ = mallopt(arenaMax, 2);
            // Page images and model tensors (4 MB and more) get their own mappings, handed back
            // to the system when freed, and a heap's free top is trimmed past 8 MB: glibc's
            // adaptive threshold had let them pile up inside the heaps between pages (perf.py's
            // mixed PDF, pipeline alone: 605-620 MB peak, 525-530 MB with these; same pages/s).
            _ = mallopt(mmapThreshold, 4 * 1024 * 1024);
            _ = mallopt(trimThreshold, 8 * 1024 * 1024);
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc (musl has one heap anyway).
        }
    }

    [DllImport(LibC, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport(LibC)]
    private static extern int mallopt(int parameter, int value);
}
