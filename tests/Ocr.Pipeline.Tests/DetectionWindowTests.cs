using OpenCvSharp;
using Ocr.Pipeline.Imaging;
using TextDetector = Ocr.Pipeline.Neural.TextDetector;
using DetectionBand = Ocr.Pipeline.Neural.DetectionBand;

namespace Ocr.Pipeline.Tests;

public sealed class DetectionWindowTests
{
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
    [InlineData(1024, 724)]
    public void Bands_own_every_row_once_stay_within_the_pixel_budget_and_see_paper_beyond_their_edges(int rows, int columns)
    {
        const long budget = 500_000;
        // However wide the window, a band may run 800 rows (five times its context on a side).
        var longestRun = Math.Max(budget / columns / 32 * 32, 800);

        var bands = TextDetector.Bands(rows, columns, budget);

        bands.Count.ShouldBeGreaterThan(1);
        var shares = bands.Select(band => band.OwnBottom - band.OwnTop).ToList();
        (shares.Max() - shares.Min()).ShouldBeLessThanOrEqualTo(66, "rows are shared evenly");
        bands[0].OwnTop.ShouldBe(0);
        bands[^1].OwnBottom.ShouldBe(rows);
        for (var i = 0; i < bands.Count; i++)
        {
            var band = bands[i];
            (band.Bottom - band.Top).ShouldBeLessThanOrEqualTo((int)longestRun);
            (band.Top % 32).ShouldBe(0);
            (band.Bottom % 32).ShouldBe(0);
            (band.OwnTop - band.Top).ShouldBeGreaterThanOrEqualTo(Math.Min(band.OwnTop, 160));
            (band.Bottom - band.OwnBottom).ShouldBeGreaterThanOrEqualTo(Math.Min(rows - band.OwnBottom, 160));
            if (i > 0)
            {
                band.OwnTop.ShouldBe(bands[i - 1].OwnBottom);
            }
        }
    }

    [Fact]
    public void A_receipt_window_over_the_budget_is_halved_each_half_reading_paper_past_the_cut()
    {
        // A receipt's window at the detector's scale (724 x 1024 model pixels) against half a million pixels.
        TextDetector.Bands(1024, 724, 500_000).ShouldBe([new DetectionBand(0, 672, 0, 512), new DetectionBand(352, 1024, 512, 1024)]);
    }

    [Fact]
    public void A_receipt_window_is_read_whole_and_a_letter_page_window_in_bands_at_the_engines_budget()
    {
        TextDetector.Bands(1024, 724, TextDetector.MaxPixelsPerRun).ShouldBe([new DetectionBand(0, 1024, 0, 1024)]);
        TextDetector.Bands(1600, 1248, TextDetector.MaxPixelsPerRun).Count.ShouldBeGreaterThan(1);
    }

    [Fact]
    public void A_cut_moves_to_the_blank_row_between_lines_when_one_is_near()
    {
        var inked = Enumerable.Repeat(5000.0, 1024).ToArray();
        inked[530] = 0;

        TextDetector.Bands(1024, 724, 500_000, inked).ShouldBe([new DetectionBand(0, 704, 0, 530), new DetectionBand(352, 1024, 530, 1024)]);

        inked[530] = 5000;
        inked[600] = 0;
        TextDetector.Bands(1024, 724, 500_000, inked)[0].OwnBottom.ShouldBe(512, "a blank row too far away is not taken");
    }

    [Fact]
    public void A_very_wide_window_is_not_cut_into_bands_owning_fewer_rows_than_their_context()
    {
        var bands = TextDetector.Bands(1600, 4000, 1_000_000);

        bands.Count.ShouldBeGreaterThan(2);
        bands.Skip(1).SkipLast(1).ShouldAllBe(band => band.OwnBottom - band.OwnTop >= 320);
    }

    [Fact]
    public void A_window_within_the_budget_is_one_band()
    {
        TextDetector.Bands(640, 480, 1_000_000).ShouldBe([new DetectionBand(0, 640, 0, 640)]);
    }
}
