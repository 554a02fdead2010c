using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Native;
using Ocr.TestSupport;
using Xunit.Abstractions;

namespace Ocr.Pipeline.Tests;

public sealed class TesseractEngineTests(ITestOutputHelper output)
{
    private static readonly PipelineOptions Options = new();

    [Theory]
    [InlineData("images/tess_phototest.tif", 0.05)]
    [InlineData("images/tess_phototest_rotL.png", 0.05)]
    [InlineData("images/tess_phototest_rotR.png", 0.05)]
    [InlineData("images/ocrmypdf_linn.png", 0.08)]
    [InlineData("images/uw3_line_010001.png", 0.10)]
    [InlineData("images/sroie_457.jpg", 0.30)]
    public async Task A_real_eval_page_is_read_within_its_error_bound(string file, double maxCer)
    {
        using var document = await DocumentOpener.OpenAsync(EvalCorpus.PathOf(file), FileTypes.KindOf(Path.GetExtension(file))!.Value, null, Options, default);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);
        using var engine = new TesseractEngine(null, "eng");

        var reading = engine.Recognize(page.Image, new RecognitionRequest("eng", AutoRotate: true), default);

        var cer = ErrorRate.Cer(EvalCorpus.GroundTruth(file), reading.Text);
        output.WriteLine($"{file}: CER {cer:P1}, confidence {reading.Confidence:F2}, rotation {reading.RotationApplied}, deskew {reading.DeskewAngle:F2}, {reading.Recipe}");
        cer.ShouldBeLessThan(maxCer);
        reading.Confidence.ShouldBeInRange(0.5, 1.0);
    }

    [Fact]
    public async Task A_two_column_page_is_read_a_column_at_a_time_and_the_heading_below_both_after_them()
    {
        // Tesseract's own block order reads ocrmypdf_linn's "Additional Features" between the two columns.
        using var document = await DocumentOpener.OpenAsync(EvalCorpus.PathOf("images/ocrmypdf_linn.png"), DocumentKind.Image, null, Options, default);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);
        using var engine = new TesseractEngine(null, "eng");

        var text = engine.Recognize(page.Image, new RecognitionRequest("eng", AutoRotate: true), default).Text;

        var leftColumnEnd = text.IndexOf("To erase a wrong note", StringComparison.Ordinal);
        var rightColumnStart = text.IndexOf("simply use LOCATE", StringComparison.Ordinal);
        var rightColumnEnd = text.IndexOf("Composition Without Compromise", StringComparison.Ordinal);
        var belowBoth = text.IndexOf("Additional Features", StringComparison.Ordinal);
        leftColumnEnd.ShouldBeGreaterThan(0);
        rightColumnStart.ShouldBeGreaterThan(leftColumnEnd);
        rightColumnEnd.ShouldBeGreaterThan(rightColumnStart);
        belowBoth.ShouldBeGreaterThan(rightColumnEnd);
        ErrorRate.Cer(EvalCorpus.GroundTruth("images/ocrmypdf_linn.png"), text).ShouldBeLessThan(0.03);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task The_ascender_count_tells_a_text_page_turned_any_quarter(int quarters)
    {
        using var document = await DocumentOpener.OpenAsync(EvalCorpus.PathOf("images/tess_phototest.tif"), DocumentKind.Image, null, Options, default);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);
        using var turned = new PageImage(LeptonicaApi.pixRotateOrth(page.Image.Handle, quarters));

        // Same convention as Tesseract's orientation detection: the degrees the text was turned clockwise.
        AscenderOrientation.Detect(turned).ShouldBe(quarters * 90);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task A_page_the_ascender_count_cannot_settle_pays_for_OSD_only_when_its_first_reading_does_not_look_upright(int quarters)
    {
        // A receipt: the ascender count has no answer for it either way up.
        using var document = await DocumentOpener.OpenAsync(EvalCorpus.PathOf("images/sroie_144.jpg"), DocumentKind.Image, null, Options, default);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);
        using var turned = new PageImage(LeptonicaApi.pixRotateOrth(page.Image.Handle, quarters));
        AscenderOrientation.Detect(turned).ShouldBeNull();
        using var engine = new TesseractEngine(null, "eng");

        var reading = engine.Recognize(turned, new RecognitionRequest("eng", AutoRotate: true), default);

        reading.RotationApplied.ShouldBe(quarters * 90);
        reading.Stages!.ContainsKey("orientation.osd").ShouldBe(quarters != 0);
        ErrorRate.Cer(EvalCorpus.GroundTruth("images/sroie_144.jpg"), reading.Text).ShouldBeLessThan(0.1);
    }

    [Theory]
    [InlineData("images/sroie_164.jpg")]
    [InlineData("images/textract_eas.jpg")]
    public async Task The_ascender_count_leaves_pages_it_cannot_settle_to_Tesseract(string file)
    {
        // A faded receipt and a photographed form: too few clear ascenders either way.
        using var document = await DocumentOpener.OpenAsync(EvalCorpus.PathOf(file), DocumentKind.Image, null, Options, default);
        using var page = (ImagePage)await document.LoadPageAsync(1, default);

        AscenderOrientation.Detect(page.Image).ShouldBeNull();
    }

    [Fact]
    public void The_ascender_count_has_no_answer_for_a_blank_page()
    {
        using var blank = new PageImage(LeptonicaApi.pixCreate(1200, 1600, 8));
        LeptonicaApi.pixSetAllArbitrary(blank.Handle, 255);

        AscenderOrientation.Detect(blank).ShouldBeNull();
    }
}
