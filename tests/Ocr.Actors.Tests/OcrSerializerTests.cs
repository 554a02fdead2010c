using System.Text.Json;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Ocr.Actors.Jobs;
using Ocr.Actors.Serialization;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Pages;
using Ocr.Pipeline.Rendering;
using static Ocr.Actors.Jobs.JobEvents;

namespace Ocr.Actors.Tests;

public sealed class OcrSerializerTests() : TestKit(OcrSerializer.BindingConfig)
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly JobId Id = new("job-ser");
    private static readonly UserId Alice = new("alice");
    private static readonly JobSpec Spec = new("a.png", 10, "/x/a.upload", DocumentKind.Image, "tesseract", "eng", 300, "1-3,7", false);

    public static TheoryData<IOcrProtocolMember> PersistedMessages() =>
    [
        new JobSubmitted(Id, Alice, Spec, T0),
        new JobStarted(Id, T0),
        new PagesPlanned(Id, 7, [1, 2, 3, 7], T0),
        new PageCompleted(Id, JobStateTests.Page(3, "hello\nworld"), T0),
        new JobCompleted(Id, "tesseract 5.3.0 (eng)", false, T0),
        new JobFailed(Id, "page 2 failed: boom", T0),
        new JobCancelled(Id, T0),
        new FileCleaned(Id, T0),
        new JobDeleted(Id, T0),
        new JobCommands.SubmitJob(Id, Alice, Spec, T0),
        new JobCommands.DeleteJob(Id, null),
        new JobCommands.RecordPage(Id, JobStateTests.Page(2, "x")),
        new PageCompleted(Id, StoredPage.From(PageWithWords), T0),
    ];

    private static readonly PageModel PageWithWords = new(
        1, "Dear Dr Smith", 0.91, PageSources.Ocr, "tesseract", 2480, 3508, 300, 90, -0.4,
        [TextBlock.Of([TextLine.Of([new TextWord("Dear", 0.93, new Box(100, 200, 180, 240)), new TextWord("Dr", 0.9, new Box(190, 200, 230, 240)),
            new TextWord("Smith", 0.88, new Box(240, 200, 350, 240))])])],
        new PageQuality(PageQuality.Ok, [new QualityIssue(QualityCodes.Skewed, "tilted")]), 1.25, Escalated: false, GpuUsed: false, Node: "node-a");

    [Fact]
    public void A_page_is_stored_with_its_model_and_read_back_the_same()
    {
        var serializer = new OcrSerializer((ExtendedActorSystem)Sys);
        var stored = new PageCompleted(Id, StoredPage.From(PageWithWords), T0);

        var copy = (PageCompleted)serializer.FromBinary(serializer.ToBinary(stored), serializer.Manifest(stored));

        var model = copy.Page.ToModel();
        JsonSerializer.Serialize(model).ShouldBe(JsonSerializer.Serialize(PageWithWords));
        model.Words.Select(w => w.Box).ShouldBe([new Box(100, 200, 180, 240), new Box(190, 200, 230, 240), new Box(240, 200, 350, 240)]);
        model.HasGeometry.ShouldBeTrue();
    }

    [Fact]
    public void A_page_stored_before_word_geometry_still_reads_and_says_why_it_cannot_be_drawn()
    {
        // A PageCompleted as the previous version wrote it: neural lines with {X, Y, Width, Height} boxes, no blocks, no dpi.
        const string written = """
            {"JobId":{"Value":"job-old"},"Page":{"PageNumber":1,"Text":"Old text","Confidence":0.9,"Source":"ocr","Width":100,"Height":200,
             "ProcessingTime":0.5,"Rotation":0,"DeskewAngle":0,"Engine":"neural","Escalated":false,"GpuUsed":false,
             "Lines":[{"Text":"Old text","Confidence":0.9,"Box":{"X":1,"Y":2,"Width":3,"Height":4},"Words":[]}],"Node":null},
             "At":"2026-01-01T00:00:00+00:00"}
            """;
        var serializer = new OcrSerializer((ExtendedActorSystem)Sys);

        var old = (PageCompleted)serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(written), nameof(PageCompleted));
        var state = new IJobEvent[]
        {
            new JobSubmitted(Id, Alice, Spec, T0), new JobStarted(Id, T0), new PagesPlanned(Id, 1, [1], T0), old, new JobCompleted(Id, "m", false, T0),
        }.Aggregate(JobState.Empty, (s, e) => s.Apply(e));

        var result = state.ToResultView(new Dictionary<int, StoredPage> { [1] = old.Page });
        result.ExtractedText.ShouldBe("Old text");
        result.Pages[0].HasGeometry.ShouldBeFalse();
        result.Pages[0].Words.ShouldBeEmpty();
        var document = new ResultDocument(result.JobId, result.ExtractedText, result.ModelUsed, result.Pages);
        document.WhyNoGeometry().ShouldNotBeNull().ShouldContain("before word positions were recorded");
        MarkdownRenderer.Render(document).ShouldContain("Old text");
    }

    [Theory]
    [MemberData(nameof(PersistedMessages))]
    public void Every_persisted_message_round_trips(IOcrProtocolMember message)
    {
        var serializer = (OcrSerializer)Sys.Serialization.FindSerializerFor(message);
        serializer.ShouldBeOfType<OcrSerializer>();

        var copy = serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));

        JsonSerializer.Serialize(copy, copy.GetType()).ShouldBe(JsonSerializer.Serialize(message, message.GetType()));
        copy.GetType().ShouldBe(message.GetType());
    }

    [Fact]
    public void A_snapshot_of_a_finished_job_round_trips_with_its_page_summaries()
    {
        var state = new[]
        {
            (IJobEvent)new JobSubmitted(Id, Alice, Spec, T0), new JobStarted(Id, T0), new PagesPlanned(Id, 2, [1, 2], T0),
            new PageCompleted(Id, JobStateTests.Page(1, "one"), T0), new PageCompleted(Id, JobStateTests.Page(2, "two"), T0),
            new JobCompleted(Id, "m", false, T0.AddSeconds(3)),
        }.Aggregate(JobState.Empty, (s, e) => s.Apply(e));
        var serializer = new OcrSerializer((ExtendedActorSystem)Sys);

        var copy = (JobState)serializer.FromBinary(serializer.ToBinary(state), serializer.Manifest(state));

        copy.Pages.Keys.ShouldBe([1, 2]);
        copy.Pages.Values.ShouldAllBe(p => p.Text.Length == 0);
        copy.ToResultView(new Dictionary<int, StoredPage> { [1] = JobStateTests.Page(1, "one"), [2] = JobStateTests.Page(2, "two") }).ExtractedText.ShouldBe("one\n\ntwo");
        copy.Status.ShouldBe(JobStatuses.Completed);
        copy.PlannedPages.ShouldBe([1, 2]);
        copy.Spec.ShouldBe(Spec);
    }

    [Fact]
    public void Manifests_are_unique_short_type_names()
    {
        OcrSerializer.KnownTypes.Select(t => t.Name).Distinct().Count().ShouldBe(OcrSerializer.KnownTypes.Count);
    }
}
