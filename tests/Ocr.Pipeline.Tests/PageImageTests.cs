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
    public void Freed_native_memory_is_handed_back_through_glibc()
    {
        NativeHeap.Trim();

        NativeHeap.Available.ShouldBeTrue();
    }
}
