using System.Runtime.InteropServices;

namespace Ocr.Pipeline.Native;

/// <summary>
/// Gives freed native memory back to the system after every page. A page's images, Tesseract's
/// page structures and the detector's feature maps are freed after every page, but glibc keeps
/// freed blocks inside its heaps, so resident size creeps up with each new page size. Once
/// blocks of 4 MB and more got mappings of their own (<see cref="NativeLibraries"/>), what is
/// left to trim is small: after every page, perf.py's mixed PDF peaked at 554-575 MB against
/// 604-624 MB trimming every tenth page, at the same pages/s (it cost about 5 % before).
/// </summary>
public static class NativeHeap
{
    private static bool _unavailable;

    /// <summary>False once a trim found no glibc to call.</summary>
    public static bool Available => !_unavailable;

    /// <summary>A page is finished: its memory goes back to the system.</summary>
    public static void PageDone() => Trim();

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
