using Ocr.Pipeline.Pages;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Neural;
using Ocr.Pipeline.Streams;
using Ocr.TestSupport;
using Xunit.Abstractions;

namespace Ocr.Pipeline.Tests;

public sealed class EscalationTests : TestKit, IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly TesseractPool _pool;
    private readonly NeuralEngine _neural;
    private readonly PagePipeline _pipeline;

    public EscalationTests(ITestOutputHelper output)
    {
        _output = output;
        var options = new PipelineOptions();
        _pool = new TesseractPool(options);
        var materializer = Sys.Materializer();
        _neural = new NeuralEngine(NeuralModelSet.Load(Repository.Models, "ppocr-v4"),
            ExecutionProvider.Choose("cpu", gpuUsable: false, "tests"), () => materializer, new NeuralOptions { Workers = 2 });
        _pipeline = new PagePipeline(_pool, options, _neural);
    }

    private async Task<(PageModel Page, double Cer)> ReadAsync(string file, string engine)
    {
        var work = new JobWork(EvalCorpus.PathOf(file), FileTypes.KindOf(Path.GetExtension(file))!.Value, null, null, "eng", true, PreprocessMode.Auto, engine);
        using var document = await _pipeline.OpenAsync(work, default);
        var pages = await _pipeline.Pages(document, [1], work, default).RunWith(Sink.Seq<PageModel>(), Sys.Materializer());
        var cer = ErrorRate.Cer(EvalCorpus.GroundTruth(file), pages[0].Text);
        _output.WriteLine($"{file} engine={engine}: read by {pages[0].Engine}, escalated {pages[0].Escalated}, confidence {pages[0].Confidence:F3}, CER {cer:P1}");
        return (pages[0], cer);
    }

    [Fact]
    public async Task A_weak_Tesseract_page_is_read_again_by_the_neural_engine_and_the_better_reading_kept()
    {
        // A photographed bill: wider than tall, so Tesseract reads it first.
        var tesseractOnly = await ReadAsync("images/tjs_bill.png", OcrEngines.Tesseract);
        var auto = await ReadAsync("images/tjs_bill.png", OcrEngines.Auto);

        tesseractOnly.Page.Escalated.ShouldBeFalse();
        tesseractOnly.Page.Confidence.ShouldBeLessThan(_pipeline.Options.EscalateBelow);
        auto.Page.Escalated.ShouldBeTrue();
        auto.Page.Engine.ShouldBe(OcrEngines.Neural);
        auto.Page.Confidence.ShouldBeGreaterThan(tesseractOnly.Page.Confidence);
        auto.Cer.ShouldBeLessThan(tesseractOnly.Cer);
    }

    [Fact]
    public async Task A_receipt_is_read_by_the_neural_engine_first_and_not_by_Tesseract_as_well()
    {
        var tesseractOnly = await ReadAsync("images/sroie_272.jpg", OcrEngines.Tesseract);
        var auto = await ReadAsync("images/sroie_272.jpg", OcrEngines.Auto);

        auto.Page.Engine.ShouldBe(OcrEngines.Neural);
        auto.Page.Escalated.ShouldBeFalse();
        auto.Page.Stages!.Keys.ShouldNotContain("read");
        auto.Cer.ShouldBeLessThan(tesseractOnly.Cer);
    }

    [Fact]
    public void Auto_plans_narrow_pages_neural_first_and_the_others_Tesseract_first_when_it_may_escalate()
    {
        var escalating = new EnginePolicy(_pool, _neural, neuralOnGpu: false, OcrEngines.Tesseract, 0.95).PlanFor(OcrEngines.Auto);
        var receipt = escalating.For(1080, 1527, 300);
        var letter = escalating.For(2550, 3300, 300);
        receipt.FirstEngine.ShouldBe(OcrEngines.Neural);
        receipt.EscalateTo.ShouldBe(_pool);
        receipt.EscalateBelow.ShouldBe(0.95 - EnginePolicy.NarrowPageMargin, 1e-9);
        letter.FirstEngine.ShouldBe(OcrEngines.Tesseract);
        letter.EscalateTo.ShouldBe(_neural);

        // Without escalation one engine reads every page: neural on a GPU, else the CPU default.
        var single = new EnginePolicy(_pool, _neural, neuralOnGpu: false, OcrEngines.Tesseract, 0).PlanFor(OcrEngines.Auto);
        single.For(1080, 1527, 300).FirstEngine.ShouldBe(OcrEngines.Tesseract);
        single.For(1080, 1527, 300).EscalateTo.ShouldBeNull();
        new EnginePolicy(_pool, _neural, neuralOnGpu: true, OcrEngines.Tesseract, 0).PlanFor(OcrEngines.Auto)
            .For(2550, 3300, 300).FirstEngine.ShouldBe(OcrEngines.Neural);
        new EnginePolicy(_pool, _neural, neuralOnGpu: false, OcrEngines.Tesseract, 0.95).PlanFor(OcrEngines.Tesseract)
            .For(1080, 1527, 300).EscalateTo.ShouldBeNull();
    }

    [Fact]
    public async Task A_clean_page_is_not_escalated()
    {
        var auto = await ReadAsync("images/tess_phototest.tif", OcrEngines.Auto);

        auto.Page.Escalated.ShouldBeFalse();
        auto.Page.Engine.ShouldBe(OcrEngines.Tesseract);
        auto.Page.Confidence.ShouldBeGreaterThanOrEqualTo(_pipeline.Options.EscalateBelow);
        auto.Cer.ShouldBeLessThan(0.02);
    }

    [Fact]
    public async Task An_explicit_engine_choice_is_never_escalated()
    {
        var neural = await ReadAsync("images/uw3_line_010005.png", OcrEngines.Neural);

        neural.Page.Engine.ShouldBe(OcrEngines.Neural);
        neural.Page.Escalated.ShouldBeFalse();
    }

    public new void Dispose()
    {
        _neural.Dispose();
        _pool.Dispose();
        base.Dispose();
    }
}
