using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Tests;

public sealed class PageModelTests
{
    // A 1000 x 600 page; a word at (100, 50)-(300, 90) on the upload.
    private static readonly Box OnUpload = new(100, 50, 300, 90);

    [Theory]
    [InlineData(90)]
    [InlineData(180)]
    [InlineData(270)]
    public void A_box_found_on_the_page_turned_upright_maps_back_onto_the_upload(int rotation)
    {
        // The working image is the upload turned `rotation` degrees counter-clockwise.
        var (w, h) = (1000, 600);
        var turned = rotation switch
        {
            90 => new Box(OnUpload.Y0, w - OnUpload.X1, OnUpload.Y1, w - OnUpload.X0),
            180 => new Box(w - OnUpload.X1, h - OnUpload.Y1, w - OnUpload.X0, h - OnUpload.Y0),
            _ => new Box(h - OnUpload.Y1, OnUpload.X0, h - OnUpload.Y0, OnUpload.X1),
        };

        new PageFrame(w, h, Rotation: rotation).ToUpload(turned).ShouldBe(OnUpload);
    }

    [Fact]
    public void A_straightened_box_maps_back_through_the_turn_about_the_centre()
    {
        var frame = new PageFrame(1000, 1000, Deskew: 90);
        // Turned 90 degrees counter-clockwise about (500, 500), the upload's (100..300, 50..90) lies at (50..90, 700..900).
        var mapped = frame.ToUpload(new Box(50, 700, 90, 900));
        mapped.X0.ShouldBeInRange(99, 101);
        mapped.Y0.ShouldBeInRange(49, 51);
        mapped.X1.ShouldBeInRange(299, 301);
        mapped.Y1.ShouldBeInRange(89, 91);
    }

    [Fact]
    public void A_box_read_on_an_upscaled_copy_is_scaled_back_and_clipped_to_the_page()
    {
        new PageFrame(500, 400, Scale: 2).ToUpload(new Box(200, 100, 1200, 300)).ShouldBe(new Box(100, 50, 500, 150));
    }

    [Fact]
    public void Lines_and_blocks_enclose_their_words_and_weigh_confidence_by_letters()
    {
        var line = TextLine.Of([new TextWord("Patient", 0.9, new Box(10, 10, 80, 30)), new TextWord("a", 0.1, new Box(90, 12, 100, 30))]);
        line.Text.ShouldBe("Patient a");
        line.Box.ShouldBe(new Box(10, 10, 100, 30));
        line.Confidence.ShouldBe(Math.Round(((0.9 * 7) + 0.1) / 8, 4));
        TextBlock.Of([line, line with { Box = new Box(5, 40, 60, 60) }]).Box.ShouldBe(new Box(5, 10, 100, 60));
    }

    [Fact]
    public void A_box_is_written_as_four_numbers_and_read_back()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new TextWord("x", 0.5, new Box(1, 2, 3, 4)));
        json.ShouldContain("\"Box\":[1,2,3,4]");
        System.Text.Json.JsonSerializer.Deserialize<TextWord>(json)!.Box.ShouldBe(new Box(1, 2, 3, 4));
    }

    private static QualitySignals Clean => new(2480, 3508, 300, 0.08, 180, 0.3, 1200, 0.93, 40);

    [Fact]
    public void A_clean_page_is_ok()
    {
        var verdict = QualityRules.Judge(Clean);
        verdict.Verdict.ShouldBe(PageQuality.Ok);
        verdict.Issues.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("blank", "unreadable")]
    [InlineData("low_contrast", "poor")]
    [InlineData("too_small", "poor")]
    [InlineData("low_resolution", "poor")]
    [InlineData("skewed", "ok")]
    [InlineData("no_text", "unreadable")]
    [InlineData("low_confidence", "poor")]
    public void Each_problem_is_named_with_a_reason(string code, string verdict)
    {
        var signals = code switch
        {
            "blank" => Clean with { InkShare = 0.0005, Letters = 0 },
            "low_contrast" => Clean with { ContrastRange = 25 },
            "too_small" => Clean with { Width = 400, Height = 300 },
            "low_resolution" => Clean with { Dpi = 100 },
            "skewed" => Clean with { DeskewAngle = -7.5 },
            "no_text" => Clean with { Letters = 0 },
            _ => Clean with { Confidence = 0.4 },
        };

        var judged = QualityRules.Judge(signals);
        judged.Verdict.ShouldBe(verdict);
        judged.Issues.Select(i => i.Code).ShouldContain(code);
        judged.Issues.ShouldAllBe(i => i.Reason.Length > 10);
    }
}
