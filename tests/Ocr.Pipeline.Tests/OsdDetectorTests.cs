using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Native;
using Ocr.TestSupport;

namespace Ocr.Pipeline.Tests;

public sealed class OsdDetectorTests
{
    private static readonly PipelineOptions Options = new();

    [Fact]
    public async Task The_OSD_model_is_loaded_for_a_page_unloaded_once_idle_and_loaded_again_for_the_next()
    {
        using var document = await DocumentOpener.OpenAsync(EvalCorpus.PathOf("images/tess_phototest.tif"), DocumentKind.Image, null, Options, default);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);
        using var turned = new PageImage(LeptonicaApi.pixRotateOrth(page.Image.Handle, 1));
        using var osd = new OsdDetector(null, keepLoaded: TimeSpan.FromMilliseconds(300));
        osd.IsLoaded.ShouldBeFalse();

        osd.Rotation(turned).ShouldBe(90);
        osd.IsLoaded.ShouldBeTrue();
        await WaitUntil(() => !osd.IsLoaded, TimeSpan.FromSeconds(10));

        osd.Rotation(turned).ShouldBe(90);
        osd.Loads.ShouldBe(2);
    }

    [Fact]
    public async Task The_OSD_model_stays_loaded_while_pages_keep_needing_it()
    {
        using var document = await DocumentOpener.OpenAsync(EvalCorpus.PathOf("images/tess_phototest.tif"), DocumentKind.Image, null, Options, default);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);
        using var osd = new OsdDetector(null, keepLoaded: TimeSpan.FromSeconds(2));

        for (var i = 0; i < 4; i++)
        {
            osd.Rotation(page.Image).ShouldBe(0);
            await Task.Delay(200);
        }

        osd.Loads.ShouldBe(1);
        osd.IsLoaded.ShouldBeTrue();
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "the OSD model was not unloaded");
            await Task.Delay(50);
        }
    }
}
