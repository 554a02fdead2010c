using System.Runtime.InteropServices;

namespace Ocr.Pipeline.Native;

/// <summary>
/// Gives freed native memory back to the system. A page's images, Tesseract's page structures
/// and the detector's feature maps are freed after every page, but glibc keeps freed blocks
/// inside its heaps (one per thread that allocated), so the process's resident size would
/// creep up with each new page size until every heap holds its own peak.
/// </summary>
public static class NativeHeap
{
    private static bool _unavailable;

    /// <summary>False once a trim found no glibc to call.</summary>
    public static bool Available => !_unavailable;

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
