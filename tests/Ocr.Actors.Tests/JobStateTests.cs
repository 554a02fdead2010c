using Ocr.Actors.Jobs;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Streams;
using static Ocr.Actors.Jobs.JobEvents;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Actors.Tests;

public sealed class JobStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly JobId Id = new("job-1");
    private static readonly UserId Alice = new("alice");
    private static readonly JobSpec Spec = new("scan.pdf", 1234, "/data/uploads/job-1.upload", DocumentKind.Pdf, "tesseract", "eng", null, null, true);

    internal static PageResult Page(int n, string text = "text", double confidence = 0.9) =>
        new(n, text, confidence, PageSources.Ocr, 100, 200, 0.5, 0, 0.1);

    private static JobState Fold(params IJobEvent[] events) => events.Aggregate(JobState.Empty, (s, e) => s.Apply(e));

    [Fact]
    public void Progress_runs_from_pending_through_pages_to_completed_at_100()
    {
        var submitted = Fold(new JobSubmitted(Id, Alice, Spec, T0));
        submitted.Status.ShouldBe(JobStatuses.Pending);
        submitted.Progress.ShouldBe(0);

        var half = submitted.Apply(new JobStarted(Id, T0.AddSeconds(1)))
            .Apply(new PagesPlanned(Id, 4, [1, 2, 3, 4], T0.AddSeconds(1)))
            .Apply(new PageCompleted(Id, Page(1), T0.AddSeconds(2)))
            .Apply(new PageCompleted(Id, Page(2), T0.AddSeconds(3)));
        half.Progress.ShouldBe(50);
        half.Message.ShouldBe("Processed page 2 of 4");

        var done = half.Apply(new JobCompleted(Id, "tesseract 5.3.0 (eng)", false, T0.AddSeconds(5)));
        done.Progress.ShouldBe(100);
        done.IsTerminal.ShouldBeTrue();
    }

    [Fact]
    public void The_result_joins_pages_in_page_order_and_averages_their_confidence()
    {
        var state = Fold(
            new JobSubmitted(Id, Alice, Spec, T0),
            new JobStarted(Id, T0),
            new PageCompleted(Id, Page(2, "second", 0.6), T0.AddSeconds(1)),
            new PageCompleted(Id, Page(1, "first", 1.0), T0.AddSeconds(2)),
            new JobCompleted(Id, "m", false, T0.AddSeconds(4)));

        var result = state.ToResultView();

        result.ExtractedText.ShouldBe("first\n\nsecond");
        result.ConfidenceScore.ShouldBe(0.8);
        result.PageCount.ShouldBe(2);
        result.ProcessingTime.ShouldBe(4);
    }

    [Fact]
    public void Reads_by_another_user_are_forbidden_and_an_unfinished_result_is_refused()
    {
        var state = Fold(new JobSubmitted(Id, Alice, Spec, T0));

        state.DecideRead(new UserId("bob"), wantResult: false, partial: false).ShouldBeOfType<Forbidden>();
        state.DecideRead(Alice, wantResult: true, partial: false).ShouldBeOfType<NotFinished>().Status.ShouldBe(JobStatuses.Pending);
        state.DecideRead(Alice, wantResult: false, partial: false).ShouldBeOfType<Status>();
        JobState.Empty.DecideRead(Alice, false, false).ShouldBeOfType<NotFound>();
    }

    [Fact]
    public void A_partial_result_is_readable_while_processing()
    {
        var state = Fold(new JobSubmitted(Id, Alice, Spec, T0), new JobStarted(Id, T0), new PageCompleted(Id, Page(1, "early"), T0));

        state.DecideRead(Alice, wantResult: true, partial: true).ShouldBeOfType<Result>().View.ExtractedText.ShouldBe("early");
    }

    [Fact]
    public void Cancel_persists_an_event_only_for_an_unfinished_job_of_the_owner()
    {
        var pending = Fold(new JobSubmitted(Id, Alice, Spec, T0));

        var (reply, cancelled) = pending.DecideCancel(Alice, T0);
        reply.ShouldBeOfType<Cancelled>();
        cancelled.ShouldNotBeNull();

        pending.DecideCancel(new UserId("bob"), T0).Event.ShouldBeNull();
        var done = pending.Apply(cancelled!);
        var (again, none) = done.DecideCancel(Alice, T0);
        again.ShouldBeOfType<AlreadyFinished>();
        none.ShouldBeNull();
    }

    [Fact]
    public void A_failure_keeps_its_error_as_the_message()
    {
        var state = Fold(new JobSubmitted(Id, Alice, Spec, T0), new JobStarted(Id, T0), new JobFailed(Id, "the PDF is encrypted and needs a password", T0));

        state.ToStatusView().Error.ShouldBe("the PDF is encrypted and needs a password");
        state.Message.ShouldBe(state.Error);
    }
}
