using System.Runtime.InteropServices;

namespace Ocr.Pipeline.Native;

/// <summary>
/// Gives freed native memory back to the system now and then. A page's images, Tesseract's
/// page structures and the detector's feature maps are freed after every page, but glibc keeps
/// freed blocks inside its heaps, so resident size creeps up with each new page size. Trimming
/// after every page cost about 5 % of the pages/s (the next page faults its memory in again);
/// every tenth page keeps most of the bound at a fraction of that.
/// </summary>
public static class NativeHeap
{
    private const int PagesPerTrim = 10;

    private static int _pagesSinceTrim;
    private static bool _unavailable;

    /// <summary>False once a trim found no glibc to call.</summary>
    public static bool Available => !_unavailable;

    /// <summary>Counts a finished page and trims the heaps on every tenth.</summary>
    public static void PageDone()
    {
        if (Interlocked.Increment(ref _pagesSinceTrim) % PagesPerTrim == 0)
        {
            Trim();
        }
    }

    /// <summary>Releases the free pages of every glibc heap (a few milliseconds); does nothing where glibc is absent.</summary>
    public static void Trim()
    {
        if (_unavailable)
        {
            return;
        }

        try
        {
            _ = malloc_trim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true;
        }
    }

    [DllImport(NativeLibraries.LibC)]
    private static extern int malloc_trim(nuint pad);
}
