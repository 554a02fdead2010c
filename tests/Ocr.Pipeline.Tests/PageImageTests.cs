using System.Runtime.InteropServices;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Native;
using Ocr.TestSupport;

namespace Ocr.Pipeline.Tests;

public sealed class PageImageTests
{
    [Fact]
    public async Task A_transform_that_changes_nothing_leaves_one_reference_so_the_page_is_freed()
    {
        using var document = await DocumentOpener.OpenAsync(EvalCorpus.PathOf("images/tess_phototest.tif"), DocumentKind.Tiff, null, new PipelineOptions(), default);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);

        // Leptonica answers "nothing to do" with a clone of the same image (reference count + 1).
        page.Image.Replace(LeptonicaApi.pixClone);
        page.Image.Replace(LeptonicaApi.pixRemoveAlpha);

        LeptonicaApi.pixGetRefcount(page.Image.Handle).ShouldBe(1);
    }

    [Fact]
    public void Trimming_hands_freed_heap_memory_back_to_the_system()
    {
        // 96 MB in small blocks (below glibc's mmap threshold, so inside a heap), all touched;
        // one block kept at the end pins the heap's top, so free() alone cannot shrink it.
        const int blocks = 96 * 1024, size = 1024;
        var pointers = new nint[blocks];
        unsafe
        {
            for (var i = 0; i < blocks; i++)
            {
                var p = NativeMemory.Alloc(size);
                new Span<byte>(p, size).Fill(0x5A);
                pointers[i] = (nint)p;
            }

            var pin = NativeMemory.Alloc(size);
            var full = ResidentMegabytes();
            for (var i = 0; i < blocks; i++)
            {
                NativeMemory.Free((void*)pointers[i]);
            }

            var freed = ResidentMegabytes();
            NativeHeap.Trim();
            var trimmed = ResidentMegabytes();
            NativeMemory.Free(pin);

            NativeHeap.Available.ShouldBeTrue();
            (full - freed).ShouldBeLessThan(48, $"free() alone gave back {full - freed} MB; the test no longer needs a trim");
            (freed - trimmed).ShouldBeGreaterThan(64, $"resident {full} MB full, {freed} MB freed, {trimmed} MB after the trim");
        }
    }

    private static long ResidentMegabytes() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:"))[6..].Trim().Split(' ')[0]) / 1024;
}
