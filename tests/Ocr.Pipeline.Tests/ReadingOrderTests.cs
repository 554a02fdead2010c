using OpenCvSharp;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Neural;

namespace Ocr.Pipeline.Tests;

public sealed class ReadingOrderTests
{
    private static List<string> Read(params (string Text, Rect Box)[] items) =>
        ReadingOrder.Arrange(items, i => i.Box).Select(row => string.Join(' ', row.Select(i => i.Text))).ToList();

    [Fact]
    public void Two_columns_of_running_text_are_read_one_after_the_other()
    {
        var items = new List<(string, Rect)>();
        for (var line = 0; line < 5; line++)
        {
            items.Add(($"L{line}", new Rect(100, 100 + (line * 40), 800 - (line == 4 ? 300 : 0), 20)));
            items.Add(($"R{line}", new Rect(1000, 100 + (line * 40), 800 - (line == 2 ? 250 : 0), 20)));
        }

        Read([.. items]).ShouldBe(["L0", "L1", "L2", "L3", "L4", "R0", "R1", "R2", "R3", "R4"]);
    }

    [Fact]
    public void A_title_across_both_columns_comes_first()
    {
        var items = new List<(string, Rect)> { ("Title", new Rect(100, 20, 1700, 30)) };
        for (var line = 0; line < 4; line++)
        {
            items.Add(($"L{line}", new Rect(100, 100 + (line * 40), 800, 20)));
            items.Add(($"R{line}", new Rect(1000, 100 + (line * 40), 800, 20)));
        }

        Read([.. items]).ShouldBe(["Title", "L0", "L1", "L2", "L3", "R0", "R1", "R2", "R3"]);
    }

    [Fact]
    public void Receipt_labels_and_prices_are_read_row_by_row()
    {
        Read(
            ("SHOP NAME", new Rect(200, 20, 600, 24)),
            ("Rice", new Rect(50, 100, 120, 20)),
            ("7.10", new Rect(850, 101, 80, 20)),
            ("Vegetable soup", new Rect(50, 140, 400, 20)),
            ("1.10", new Rect(850, 139, 80, 20)),
            ("Total", new Rect(50, 180, 150, 20)),
            ("8.20", new Rect(850, 181, 80, 20)))
            .ShouldBe(["SHOP NAME", "Rice 7.10", "Vegetable soup 1.10", "Total 8.20"]);
    }

    [Fact]
    public void A_table_is_read_row_by_row()
    {
        var items = new List<(string, Rect)>();
        for (var row = 0; row < 4; row++)
        {
            items.Add(($"a{row}", new Rect(100, 100 + (row * 40), 150, 20)));
            items.Add(($"b{row}", new Rect(400, 100 + (row * 40), 60, 20)));
            items.Add(($"c{row}", new Rect(700, 100 + (row * 40), 90, 20)));
        }

        Read([.. items]).ShouldBe(["a0 b0 c0", "a1 b1 c1", "a2 b2 c2", "a3 b3 c3"]);
    }

    [Fact]
    public void Boxes_of_one_line_split_by_the_detector_are_joined_left_to_right()
    {
        Read(("world", new Rect(400, 102, 200, 20)), ("Hello", new Rect(100, 100, 200, 22))).ShouldBe(["Hello world"]);
    }
}

public sealed class ConfidenceCalibrationTests
{
    [Fact]
    public void Calibration_interpolates_between_its_points_and_clamps_outside()
    {
        var calibration = new ConfidenceCalibration([(0.5, 0.2), (0.9, 0.8), (1.0, 0.95)]);
        calibration.Apply(0.3).ShouldBe(0.2);
        calibration.Apply(0.7).ShouldBe(0.5, 1e-9);
        calibration.Apply(0.95).ShouldBe(0.875, 1e-9);
        calibration.Apply(1.2).ShouldBe(0.95);
        ConfidenceCalibration.Identity.Apply(0.42).ShouldBe(0.42, 1e-9);
    }
}
