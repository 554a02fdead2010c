using OpenCvSharp;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Imaging;
using Ocr.Pipeline.Native;
using Ocr.TestSupport;
using Xunit.Abstractions;

namespace Ocr.Pipeline.Tests;

public sealed class PreprocessingTests(ITestOutputHelper output)
{
    private static async Task<PageImage> LoadAsync(string file)
    {
        using var document = await DocumentOpener.OpenAsync(EvalCorpus.PathOf(file), FileTypes.KindOf(Path.GetExtension(file))!.Value, null, new PipelineOptions(), default);
        var page = (ImagePage)await document.LoadPageAsync(1, default);
        return page.Image;
    }

    [Theory]
    [InlineData(-3.0)]
    [InlineData(2.2)]
    [InlineData(-0.6)]
    public async Task A_tilted_page_is_found_tilted_by_the_angle_it_was_turned_and_straightened(double turned)
    {
        using var page = await LoadAsync("images/tess_phototest.tif");
        using var gray = PixelBridge.ToGray(page);
        using var tilted = PageFilters.Rotate(gray, turned);
        using var tiltedPage = PixelBridge.ToPage(tilted, 300);

        var corrected = tiltedPage.Deskew();

        // Turned clockwise (negative) the lines fall to the right, and straightening turns them back counter-clockwise.
        corrected.ShouldBe(-turned, tolerance: 0.1);
        using var straightened = PixelBridge.ToGray(tiltedPage);
        SkewDetector.FindSkew(straightened).ShouldBe(0, tolerance: 0.1);
    }

    [Fact]
    public async Task A_straight_page_is_left_as_it_came()
    {
        using var page = await LoadAsync("images/tess_phototest.tif");
        using var before = PixelBridge.ToGray(page);

        page.Deskew().ShouldBe(0);

        using var after = PixelBridge.ToGray(page);
        Cv2.Norm(before, after, NormTypes.L1).ShouldBe(0);
    }

    [Fact]
    public void A_blank_page_has_no_skew()
    {
        using var blank = new Mat(1100, 850, MatType.CV_8UC1, Scalar.White);
        SkewDetector.FindSkew(blank).ShouldBe(0);
    }

    [Theory]
    [InlineData("images/sroie_457.jpg")]
    [InlineData("odd/tjs_simple_pbm.pbm")]
    public async Task Pixels_cross_between_Leptonica_and_OpenCV_unchanged(string file)
    {
        using var page = await LoadAsync(file);
        using var mat = PixelBridge.ToMat(page);
        using var back = PixelBridge.ToPage(mat, page.Resolution);
        using var again = PixelBridge.ToMat(back);

        again.Size().ShouldBe(mat.Size());
        again.Type().ShouldBe(mat.Type());
        Cv2.Norm(mat, again, NormTypes.L1).ShouldBe(0);
        back.Depth.ShouldBe(page.Depth == 32 ? 32 : 8);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(1001)]
    public void Gray_rows_of_any_width_keep_every_pixel_in_place_both_ways(int width)
    {
        // Leptonica packs four pixels to a word; widths that end inside a word take the slow path for their tail.
        var values = Enumerable.Range(0, width * 3).Select(i => (byte)(i * 37 % 251)).ToArray();
        using var mat = Mat.FromPixelData(3, width, MatType.CV_8UC1, values);

        using var page = PixelBridge.ToPage(mat, 300);
        for (var y = 0; y < 3; y++)
        {
            for (var x = 0; x < width; x++)
            {
                LeptonicaApi.pixGetPixel(page.Handle, x, y, out var value);
                value.ShouldBe((uint)values[y * width + x], $"pixel ({x}, {y})");
            }
        }

        using var back = PixelBridge.ToGray(page);
        back.GetArray(out byte[] read).ShouldBeTrue();
        read.ShouldBe(values);
    }

    [Fact]
    public async Task Contrast_recovery_turns_a_faded_print_dark_on_white()
    {
        using var page = await LoadAsync("images/tess_phototest.tif");
        using var gray = PixelBridge.ToGray(page);
        // Fade it: ink at 60 % gray on a yellowed 85 % background that darkens to one side.
        using var faded = new Mat();
        gray.ConvertTo(faded, MatType.CV_8UC1, 0.3, 150);
        using var ramp = Mat.FromPixelData(1, 41, MatType.CV_8UC1, Enumerable.Range(0, 41).Select(v => (byte)v).ToArray());
        using var shade = new Mat();
        Cv2.Resize(ramp, shade, gray.Size(), 0, 0, InterpolationFlags.Linear);

        Cv2.Subtract(faded, shade, faded);

        using var recovered = PageFilters.RecoverContrast(faded);
        using var binary = PageFilters.Threshold(recovered);

        Cv2.MinMaxLoc(recovered, out double darkest, out double lightest);
        output.WriteLine($"faded {Cv2.Mean(faded).Val0:F0}, recovered darkest {darkest} lightest {lightest}");
        darkest.ShouldBeLessThan(40);
        // Paper on both sides comes out the same white.
        var left = Cv2.Mean(recovered[new Rect(0, 0, 20, recovered.Rows)]).Val0;
        var right = Cv2.Mean(recovered[new Rect(recovered.Cols - 20, 0, 20, recovered.Rows)]).Val0;
        Math.Abs(left - right).ShouldBeLessThan(10);
        using var text = PixelBridge.ToPage(binary, 300);
        using var engine = new TesseractEngine(null, "eng");
        var reading = engine.Recognize(text, new RecognitionRequest("eng", AutoRotate: false, PreprocessMode.None), default);
        ErrorRate.Cer(EvalCorpus.GroundTruth("images/tess_phototest.tif"), reading.Text).ShouldBeLessThan(0.05);
    }

    [Theory]
    [InlineData(PageRecipes.Contrast, 1)]
    [InlineData(PageRecipes.Binary, 1)]
    [InlineData(PageRecipes.Upscale, 2)]
    [InlineData(PageRecipes.Full, 2)]
    public async Task Every_recipe_gives_a_readable_gray_page_and_leaves_the_source_alone(string recipe, int growth)
    {
        using var page = await LoadAsync("images/tess_phototest.tif");
        using var before = PixelBridge.ToMat(page);

        using var prepared = PageRecipes.Apply(page, recipe);

        prepared.Depth.ShouldBe(8);
        prepared.Width.ShouldBe(page.Width * growth);
        prepared.Resolution.ShouldBe(Math.Max(page.Resolution, 70) * growth);
        using var after = PixelBridge.ToMat(page);
        Cv2.Norm(before, after, NormTypes.L1).ShouldBe(0);
        using var engine = new TesseractEngine(null, "eng");
        var reading = engine.Recognize(prepared, new RecognitionRequest("eng", AutoRotate: false, PreprocessMode.None), default);
        ErrorRate.Cer(EvalCorpus.GroundTruth("images/tess_phototest.tif"), reading.Text).ShouldBeLessThan(0.05);
    }
}
