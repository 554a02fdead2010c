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

    internal static StoredPage Page(int n, string text = "text", double confidence = 0.9) =>
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
        var second = Page(2, "second", 0.6);
        var first = Page(1, "first", 1.0);
        var state = Fold(
            new JobSubmitted(Id, Alice, Spec, T0),
            new JobStarted(Id, T0),
            new PageCompleted(Id, second, T0.AddSeconds(1)),
            new PageCompleted(Id, first, T0.AddSeconds(2)),
            new JobCompleted(Id, "m", false, T0.AddSeconds(4)));

        var result = state.ToResultView(new Dictionary<int, StoredPage> { [2] = second, [1] = first });

        result.ExtractedText.ShouldBe("first\n\nsecond");
        result.ConfidenceScore.ShouldBe(0.8);
        result.PageCount.ShouldBe(2);
        result.ProcessingTime.ShouldBe(4);
    }

    [Fact]
    public void The_state_keeps_a_summary_of_each_page_and_its_words_stay_in_the_events()
    {
        var page = Page(1, "a page of words", 0.9) with { Blocks = [new StoredBlock([new StoredLine("a page of words", 0.9, [0, 0, 10, 2], [new StoredWord("a", 0.9, [0, 0, 1, 2])])])] };
        var state = Fold(new JobSubmitted(Id, Alice, Spec, T0), new JobStarted(Id, T0), new PageCompleted(Id, page, T0));

        var kept = state.Pages[1];

        kept.Text.ShouldBeEmpty();
        kept.Blocks.ShouldBeNull();
        (kept.Confidence, kept.Source, kept.Engine, kept.Width).ShouldBe((page.Confidence, page.Source, page.Engine, page.Width));
        state.ToStatusView().PagesDone.ShouldBe(1);
        var result = state.ToResultView(new Dictionary<int, StoredPage> { [1] = page });
        result.ExtractedText.ShouldBe("a page of words");
        result.Pages[0].Words.Single().Text.ShouldBe("a");
        // A snapshot written when pages were kept whole is summarized when it is read.
        (state with { Pages = state.Pages.SetItem(1, page) }).Summarized().Pages[1].ShouldBe(kept);
    }

    private static readonly UserId Bob = new("bob");

    /// <summary>A job in each state it can be in, by name.</summary>
    private static JobState InState(string name)
    {
        var pending = Fold(new JobSubmitted(Id, Alice, Spec, T0));
        var processing = pending.Apply(new JobStarted(Id, T0)).Apply(new PagesPlanned(Id, 2, [1, 2], T0)).Apply(new PageCompleted(Id, Page(1, "early"), T0));
        return name switch
        {
            "none" => JobState.Empty,
            "deleted" => processing.Apply(new JobCompleted(Id, "m", false, T0)).Apply(new JobDeleted(Id, T0)),
            "pending" => pending,
            "processing" => processing,
            "completed" => processing.Apply(new PageCompleted(Id, Page(2), T0)).Apply(new JobCompleted(Id, "m", false, T0)),
            "failed" => processing.Apply(new JobFailed(Id, "boom", T0)),
            "cancelled" => processing.Apply(new JobCancelled(Id, T0)),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    private static IJobCommand CommandNamed(string name) => name switch
    {
        "submit" => new JobCommands.SubmitJob(Id, Alice, Spec, T0),
        "submit-by-bob" => new JobCommands.SubmitJob(Id, Bob, Spec, T0),
        "start" => new JobCommands.StartJob(Id),
        "plan" => new JobCommands.RecordPlan(Id, 2, [1, 2]),
        "page" => new JobCommands.RecordPage(Id, Page(2)),
        "complete" => new JobCommands.CompleteRun(Id, "tesseract", false),
        "fail" => new JobCommands.FailRun(Id, "page 2 failed"),
        "status" => new JobCommands.GetStatus(Id, Alice),
        "status-by-bob" => new JobCommands.GetStatus(Id, Bob),
        "result" => new JobCommands.GetResult(Id, Alice),
        "partial" => new JobCommands.GetResult(Id, Alice, Partial: true),
        "cancel" => new JobCommands.CancelJob(Id, Alice),
        "cancel-by-bob" => new JobCommands.CancelJob(Id, Bob),
        "delete" => new JobCommands.DeleteJob(Id, Alice),
        "delete-by-bob" => new JobCommands.DeleteJob(Id, Bob),
        "expire" => new JobCommands.DeleteJob(Id, null),
        "resume" => new JobCommands.ResumeJob(Id),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Every command in every state: the events decided (by type, in order) and the reply (by type; "-" for none).</summary>
    public static TheoryData<string, string, string, string> Decisions()
    {
        var rows = new TheoryData<string, string, string, string>();
        void Row(string state, string command, string events, string reply) => rows.Add(state, command, events, reply);
        foreach (var state in new[] { "none", "deleted" })
        {
            Row(state, "submit", state == "none" ? "JobSubmitted" : "", state == "none" ? "Accepted" : "NotFound");
            foreach (var c in new[] { "start", "plan", "page", "complete", "fail", "resume" })
            {
                Row(state, c, "", "-");
            }

            foreach (var c in new[] { "status", "status-by-bob", "result", "partial", "cancel", "cancel-by-bob", "delete", "delete-by-bob", "expire" })
            {
                Row(state, c, "", "NotFound");
            }
        }

        var live = new Dictionary<string, (string Start, string Plan, string Page, string Complete, string Fail, string Result, string Partial, string Cancel)>
        {
            ["pending"] = ("JobStarted", "", "", "", "", "NotFinished", "NotFinished", "JobCancelled"),
            ["processing"] = ("JobStarted", "PagesPlanned", "PageCompleted", "JobCompleted", "JobFailed", "NotFinished", "ResultToRead", "JobCancelled"),
            ["completed"] = ("", "", "", "", "", "ResultToRead", "ResultToRead", ""),
            ["failed"] = ("", "", "", "", "", "NotFinished", "NotFinished", ""),
            ["cancelled"] = ("", "", "", "", "", "NotFinished", "NotFinished", ""),
        };
        foreach (var (state, e) in live)
        {
            Row(state, "submit", "", "Accepted");
            Row(state, "submit-by-bob", "", "Forbidden");
            Row(state, "start", e.Start, "-");
            Row(state, "plan", e.Plan, "-");
            Row(state, "page", e.Page, "-");
            Row(state, "complete", e.Complete, "-");
            Row(state, "fail", e.Fail, "-");
            Row(state, "status", "", "Status");
            Row(state, "status-by-bob", "", "Forbidden");
            Row(state, "result", "", e.Result);
            Row(state, "partial", "", e.Partial);
            Row(state, "cancel", e.Cancel, e.Cancel == "" ? "AlreadyFinished" : "Cancelled");
            Row(state, "cancel-by-bob", "", "Forbidden");
            Row(state, "delete", "JobDeleted", "Deleted");
            Row(state, "delete-by-bob", "", "Forbidden");
            Row(state, "expire", "JobDeleted", "Deleted");
            Row(state, "resume", "", "-");
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Decisions))]
    public void Decide_gives_the_events_and_reply_for_every_command_in_every_state(string state, string command, string events, string reply)
    {
        var decision = InState(state).Decide(CommandNamed(command), T0.AddMinutes(1));

        string.Join(",", decision.Events.Select(e => e.GetType().Name)).ShouldBe(events);
        (decision.Reply?.GetType().Name ?? "-").ShouldBe(reply);
        decision.Events.ShouldAllBe(e => e.JobId == Id);
    }

    [Fact]
    public void Decided_events_carry_the_time_given_and_fold_into_the_next_state()
    {
        var now = T0.AddMinutes(7);
        var pending = InState("pending");

        var started = pending.Decide(new JobCommands.StartJob(Id), now).Events.ShouldHaveSingleItem().ShouldBeOfType<JobStarted>();
        started.At.ShouldBe(now);
        var processing = pending.Apply(started);
        processing.Status.ShouldBe(JobStatuses.Processing);

        var failed = processing.Decide(new JobCommands.FailRun(Id, "the PDF is encrypted"), now).Events.Single();
        processing.Apply(failed).Error.ShouldBe("the PDF is encrypted");

        var deleted = processing.Apply(processing.Decide(new JobCommands.DeleteJob(Id, null), now).Events.Single());
        deleted.Exists.ShouldBeFalse();
        deleted.Spec.ShouldBeNull(); // the tombstone keeps nothing of the document
        deleted.Pages.ShouldBeEmpty();
    }

    [Fact]
    public void A_partial_result_is_readable_while_processing()
    {
        var state = Fold(new JobSubmitted(Id, Alice, Spec, T0), new JobStarted(Id, T0), new PageCompleted(Id, Page(1, "early"), T0));

        state.Decide(new JobCommands.GetResult(Id, Alice, Partial: true), T0).Reply.ShouldBeOfType<ResultToRead>();
        state.ToResultView(new Dictionary<int, StoredPage> { [1] = Page(1, "early") }).ExtractedText.ShouldBe("early");
    }

    [Fact]
    public void A_failure_keeps_its_error_as_the_message()
    {
        var state = Fold(new JobSubmitted(Id, Alice, Spec, T0), new JobStarted(Id, T0), new JobFailed(Id, "the PDF is encrypted and needs a password", T0));

        state.ToStatusView().Error.ShouldBe("the PDF is encrypted and needs a password");
        state.Message.ShouldBe(state.Error);
    }

    [Fact]
    public void A_job_cancelled_while_opening_its_document_still_reaches_its_subscribers()
    {
        var opening = Fold(new JobSubmitted(Id, Alice, Spec, T0), new JobStarted(Id, T0.AddSeconds(1)));
        var cancelled = opening.Apply(new JobCancelled(Id, T0.AddSeconds(2)));
        var (seen, next) = (opening.ToProgress(1), cancelled.ToProgress(2));

        // The cancel reads as progress 0 after the opening's 5: backwards, but the end of the feed.
        (seen.Progress, next.Progress).ShouldBe((5, 0));
        next.Follows(seen).ShouldBeTrue();
    }

    [Fact]
    public void Live_progress_only_moves_forward_or_says_something_new()
    {
        var planned = Fold(new JobSubmitted(Id, Alice, Spec, T0), new JobStarted(Id, T0), new PagesPlanned(Id, 4, [1, 2, 3, 4], T0));
        var onePage = planned.Apply(new PageCompleted(Id, Page(1), T0.AddSeconds(1))).ToProgress(1);
        var twoPages = planned.Apply(new PageCompleted(Id, Page(1), T0)).Apply(new PageCompleted(Id, Page(2), T0)).ToProgress(2);

        twoPages.Follows(onePage).ShouldBeTrue();
        onePage.Follows(twoPages).ShouldBeFalse(); // a late message from before
        (onePage with { Timestamp = 3 }).Follows(onePage).ShouldBeFalse(); // the same again
    }
}
