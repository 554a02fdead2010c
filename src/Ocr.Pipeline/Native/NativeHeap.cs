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
            if (HeapsMarkedForHugePages)
            {
                UnmarkHeaps();
            }
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true;
        }
    }

    /// <summary>The environment variable glibc reads its tunables from, once, when a process starts.</summary>
    public const string TunablesVariable = "GLIBC_TUNABLES";

    /// <summary>The glibc tunable (in <see cref="TunablesVariable"/>) that backs malloc's blocks with transparent huge pages.</summary>
    public const string HugePagesTunable = "glibc.malloc.hugetlb=1";

    // The tunable (the host's OCR_MALLOC_HUGE_PAGES) marks glibc's main heap for huge pages as well as its large mapped blocks.
    private static readonly bool HeapsMarkedForHugePages =
        Environment.GetEnvironmentVariable(TunablesVariable)?.Contains(HugePagesTunable, StringComparison.Ordinal) == true;

    private const long ArenaHeapSize = 64L << 20; // glibc's HEAP_MAX_SIZE on 64-bit: each arena heap is reserved at a multiple of it
    private const int NoHugePages = 15; // MADV_NOHUGEPAGE

    /// <summary>
    /// Takes the huge-page mark off glibc's heaps (the main one, and arena heaps should glibc mark
    /// them), leaving it on the large blocks mapped on their own, which are handed back whole. In a
    /// marked heap the kernel's khugepaged filled the holes each trim leaves with whole 2 MB pages:
    /// perf.py's 300 pages peaked at 862 MB with the mark, 540 MB without (537 MB with no huge pages).
    /// glibc marks the main heap again as it grows, so this runs after every trim.
    /// </summary>
    private static unsafe void UnmarkHeaps()
    {
        string? previous = null;
        foreach (var line in File.ReadLines("/proc/self/maps").Append(null))
        {
            if (previous is not null && IsHeap(previous, line, out var start, out var end))
            {
                _ = madvise((void*)start, (nuint)(end - start), NoHugePages);
            }

            previous = line;
        }
    }

    private static bool IsHeap(string line, string? next, out long start, out long end)
    {
        start = end = 0;
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5 || fields[1] != "rw-p")
        {
            return false;
        }

        var range = fields[0].Split('-');
        start = Convert.ToInt64(range[0], 16);
        end = Convert.ToInt64(range[1], 16);
        if (fields.Length == 6 && fields[5].Trim() == "[heap]")
        {
            return true;
        }

        // An arena heap: anonymous, starting on a 64 MB boundary, at most 64 MB, its unused rest reserved right after it.
        var anonymous = fields.Length == 5 || string.IsNullOrWhiteSpace(fields[5]);
        var reservedRest = next?.Split(' ', 3) is [var nextRange, "---p", _] && nextRange.StartsWith(range[1] + "-", StringComparison.Ordinal);
        return anonymous && start % ArenaHeapSize == 0 && end - start <= ArenaHeapSize && (reservedRest || end - start == ArenaHeapSize);
    }

    [DllImport(NativeLibraries.LibC)]
    private static extern unsafe int madvise(void* address, nuint length, int advice);

    [DllImport(NativeLibraries.LibC)]
    private static extern int malloc_trim(nuint pad);
}
