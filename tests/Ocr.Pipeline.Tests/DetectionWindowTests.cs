using OpenCvSharp;
using Ocr.Pipeline.Imaging;
using Ocr.Pipeline.Native;
using TextDetector = Ocr.Pipeline.Neural.TextDetector;
using DetectionBand = Ocr.Pipeline.Neural.DetectionBand;

namespace Ocr.Pipeline.Tests;

public sealed class DetectionWindowTests
{
    public DetectionWindowTests() => NativeLibraries.EnsureLoaded();

    private static Mat WhiteLetterPage() => new(3300, 2550, MatType.CV_8UC1, Scalar.All(250));

    [Fact]
    public void The_writing_area_of_a_small_slip_on_a_large_page_holds_all_its_ink_and_the_margin()
    {
        using var page = WhiteLetterPage();
        Cv2.Rectangle(page, new Rect(400, 300, 900, 1800), Scalar.All(120), thickness: -1);
        Cv2.Circle(page, new Point(2000, 2900), 6, Scalar.All(30), thickness: -1); // a lone speck counts: nothing inked is left out

        var area = WritingArea.Find(page, margin: 50);

        area.ShouldNotBeNull();
        area.Value.Contains(new Rect(350, 250, 1000, 1900)).ShouldBeTrue(area.ToString());
        area.Value.Contains(new Rect(1994, 2894, 12, 12)).ShouldBeTrue(area.ToString());
        area.Value.Left.ShouldBeGreaterThan(300);
        area.Value.Top.ShouldBeGreaterThan(200);
    }

    [Fact]
    public void A_page_written_all_over_a_blank_page_and_a_dark_photo_give_no_writing_area()
    {
        using var full = WhiteLetterPage();
        Cv2.Rectangle(full, new Rect(100, 100, 2350, 3100), Scalar.All(60), thickness: 3);
        using var blank = WhiteLetterPage();
        using var dark = new Mat(1000, 800, MatType.CV_8UC1, Scalar.All(40));
        Cv2.Rectangle(dark, new Rect(300, 300, 100, 100), Scalar.All(250), thickness: -1);

        WritingArea.Find(full, margin: 50).ShouldBeNull();
        WritingArea.Find(blank, margin: 50).ShouldBeNull();
        WritingArea.Find(dark, margin: 50).ShouldBeNull();
    }

    [Fact]
    public void The_detection_window_is_widened_by_paper_and_laid_on_the_models_grid()
    {
        var window = TextDetector.Window(new Rect(400, 300, 900, 1800), new Size(2550, 3300), new Size(1248, 1600));

        foreach (var value in new[] { window.X, window.Y, window.Width, window.Height })
        {
            (value % 32).ShouldBe(0);
        }

        var scale = 1248 / 2550.0;
        window.Left.ShouldBeLessThanOrEqualTo((int)((400 * scale) - 160));
        window.Right.ShouldBeGreaterThanOrEqualTo((int)((1300 * scale) + 160));
        TextDetector.Window(null, new Size(2550, 3300), new Size(1248, 1600)).ShouldBe(new Rect(0, 0, 1248, 1600));
    }

    [Theory]
    [InlineData(1600, 1248)]
    [InlineData(960, 1600)]
    [InlineData(3008, 512)]
    public void Bands_own_every_row_once_stay_within_the_pixel_budget_and_see_paper_beyond_their_edges(int rows, int columns)
    {
        const long budget = 1_000_000;

        var bands = TextDetector.Bands(rows, columns, budget);

        bands.Count.ShouldBeGreaterThan(1);
        bands[0].OwnTop.ShouldBe(0);
        bands[^1].OwnBottom.ShouldBe(rows);
        for (var i = 0; i < bands.Count; i++)
        {
            var band = bands[i];
            ((long)(band.Bottom - band.Top) * columns).ShouldBeLessThanOrEqualTo(budget);
            (band.Top % 32).ShouldBe(0);
            (band.OwnTop - band.Top).ShouldBe(Math.Min(band.OwnTop, 160));
            (band.Bottom - band.OwnBottom).ShouldBe(Math.Min(rows - band.OwnBottom, 160));
            if (i > 0)
            {
                band.OwnTop.ShouldBe(bands[i - 1].OwnBottom);
            }
        }
    }

    [Fact]
    public void A_window_within_the_budget_is_one_band()
    {
        TextDetector.Bands(640, 480, 1_000_000).ShouldBe([new DetectionBand(0, 640, 0, 640)]);
    }
}
