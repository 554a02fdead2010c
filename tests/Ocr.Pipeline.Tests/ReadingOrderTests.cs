using OpenCvSharp;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Tests;

public sealed class ReadingOrderTests
{
    private static List<string> Read(params (string Text, Rect Box)[] items) =>
        ReadingOrder.Arrange(items, i => i.Box, i => i.Text.Length).Select(row => string.Join(' ', row.Select(i => i.Text))).ToList();

    // Enough letters for a line of running text.
    private const string Running = " of a column of running text";

    [Fact]
    public void Two_columns_of_running_text_are_read_one_after_the_other()
    {
        var items = new List<(string, Rect)>();
        for (var line = 0; line < 5; line++)
        {
            items.Add(($"L{line}{Running}", new Rect(100, 100 + (line * 40), 800 - (line == 4 ? 300 : 0), 20)));
            items.Add(($"R{line}{Running}", new Rect(1000, 100 + (line * 40), 800 - (line == 2 ? 250 : 0), 20)));
        }

        Read([.. items]).ShouldBe(new[] { "L0", "L1", "L2", "L3", "L4", "R0", "R1", "R2", "R3", "R4" }.Select(l => l + Running));
    }

    [Fact]
    public void A_title_across_both_columns_comes_first()
    {
        var items = new List<(string, Rect)> { ("Title", new Rect(100, 20, 1700, 30)) };
        for (var line = 0; line < 4; line++)
        {
            items.Add(($"L{line}{Running}", new Rect(100, 100 + (line * 40), 800, 20)));
            items.Add(($"R{line}{Running}", new Rect(1000, 100 + (line * 40), 800, 20)));
        }

        Read([.. items]).ShouldBe(["Title", .. new[] { "L0", "L1", "L2", "L3", "R0", "R1", "R2", "R3" }.Select(l => l + Running)]);
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
    public void A_receipts_labels_beside_their_values_are_read_row_by_row()
    {
        // sroie_180's card section: labels at the left, values at the right, one row each.
        Read(
            ("Card Number", new Rect(55, 1325, 183, 43)),
            ("Merchant Number", new Rect(56, 1366, 246, 39)),
            ("Reference Number", new Rect(57, 1405, 258, 39)),
            ("Award Balance", new Rect(58, 1445, 246, 38)),
            ("Earned", new Rect(182, 1478, 109, 44)),
            ("New Balance", new Rect(180, 1519, 185, 42)),
            ("7897139011685960", new Rect(393, 1324, 258, 39)),
            ("000001020138429", new Rect(404, 1363, 246, 39)),
            ("199258579655", new Rect(457, 1402, 194, 39)),
            ("412", new Rect(594, 1438, 60, 41)),
            ("41", new Rect(608, 1475, 45, 42)),
            ("453", new Rect(596, 1515, 59, 43)))
            .ShouldBe([
                "Card Number 7897139011685960", "Merchant Number 000001020138429", "Reference Number 199258579655",
                "Award Balance 412", "Earned 41", "New Balance 453"]);
    }

    [Fact]
    public void Tesseracts_blocks_are_put_in_reading_order_and_a_row_split_over_blocks_is_one_line()
    {
        static TextLine Line(string text, int x, int y, int width)
        {
            var words = text.Split(' ');
            var step = width / words.Length;
            return TextLine.Of(words.Select((word, i) => new TextWord(word, 0.9, new Box(x + (i * step), y, x + ((i + 1) * step) - 10, y + 30))).ToList());
        }

        // As Tesseract orders ocrmypdf_linn: the left column, the heading below both columns, then the right column.
        TextBlock[] tesseract =
        [
            TextBlock.Of([Line("Title of the whole page", 300, 100, 1800)]),
            TextBlock.Of([Line("left one of running text", 300, 300, 900), Line("left two of running text", 300, 340, 900), Line("left three of running text", 300, 380, 900)]),
            TextBlock.Of([Line("Features below both columns", 300, 600, 1800)]),
            TextBlock.Of([Line("right one of running text", 1300, 300, 900), Line("right two of running text", 1300, 340, 900), Line("right three of running text", 1300, 380, 900)]),
            TextBlock.Of([Line("Total", 300, 800, 300)]),
            TextBlock.Of([Line("12.50", 1800, 801, 200)]),
        ];

        var arranged = TesseractLayout.InReadingOrder(tesseract);

        arranged.Select(b => b.Lines.Select(l => l.Text).ToArray()).ShouldBe(
        [
            ["Title of the whole page"],
            ["left one of running text", "left two of running text", "left three of running text"],
            ["right one of running text", "right two of running text", "right three of running text"],
            ["Features below both columns"],
            ["Total 12.50"],
        ]);
        TesseractLayout.TextOf(arranged).ShouldStartWith("Title of the whole page\n\nleft one of running text\nleft two of running text\n");
        arranged[^1].Lines[0].Words.Select(w => w.Text).ShouldBe(["Total", "12.50"]);
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
