using System.Text.Json;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Ocr.Actors.Jobs;
using Ocr.Actors.Serialization;
using Ocr.Pipeline.Documents;
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
    ];

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
    public void A_snapshot_of_a_finished_job_round_trips_with_its_pages()
    {
        var state = new[]
        {
            (IJobEvent)new JobSubmitted(Id, Alice, Spec, T0), new JobStarted(Id, T0), new PagesPlanned(Id, 2, [1, 2], T0),
            new PageCompleted(Id, JobStateTests.Page(1, "one"), T0), new PageCompleted(Id, JobStateTests.Page(2, "two"), T0),
            new JobCompleted(Id, "m", false, T0.AddSeconds(3)),
        }.Aggregate(JobState.Empty, (s, e) => s.Apply(e));
        var serializer = new OcrSerializer((ExtendedActorSystem)Sys);

        var copy = (JobState)serializer.FromBinary(serializer.ToBinary(state), serializer.Manifest(state));

        copy.ToResultView().ExtractedText.ShouldBe("one\n\ntwo");
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
