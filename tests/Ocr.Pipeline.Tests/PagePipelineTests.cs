using Ocr.Pipeline.Pages;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Akka.TestKit.Xunit2;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Streams;
using Ocr.TestSupport;

namespace Ocr.Pipeline.Tests;

public sealed class PagePipelineTests : TestKit, IDisposable
{
    private readonly PipelineOptions _options = new() { PdfDpi = 150 };
    private readonly TesseractPool _pool;
    private readonly PagePipeline _pipeline;

    public PagePipelineTests()
    {
        _pool = new TesseractPool(_options);
        _pipeline = new PagePipeline(_pool, _options);
    }

    private static JobWork Work(string relative, string? pages = null) =>
        new(EvalCorpus.PathOf(relative), FileTypes.KindOf(Path.GetExtension(relative))!.Value, pages, null, "eng", true);

    [Fact]
    public async Task A_multi_page_PDF_flows_through_page_by_page_each_page_named()
    {
        var work = Work("pdfs/ocrmypdf_cardinal.pdf", "2-3");
        using var document = await _pipeline.OpenAsync(work, default);
        var todo = PagePipeline.PagesToDo(work, document.PageCount, new HashSet<int>());
        var probe = this.CreateManualSubscriberProbe<PageModel>();

        _pipeline.Pages(document, todo, work, default).RunWith(Sink.FromSubscriber(probe), Sys.Materializer());
        var subscription = await probe.ExpectSubscriptionAsync();
        subscription.Request(10);

        // Pages leave as they are read: each says which page it is.
        var read = new[] { await probe.ExpectNextAsync(TimeSpan.FromSeconds(60)), await probe.ExpectNextAsync(TimeSpan.FromSeconds(60)) };
        await probe.ExpectCompleteAsync();
        read.Select(p => p.PageNumber).Order().ShouldBe([2, 3]);
        var second = read.Single(p => p.PageNumber == 2);
        var third = read.Single(p => p.PageNumber == 3);
        // Pages 2 and 3 are the same scan turned 90 and 180 degrees: both come out upright.
        second.Rotation.ShouldNotBe(0);
        third.Rotation.ShouldBe(180);
        var truth = EvalCorpus.GroundTruth("images/ocrmypdf_linn.png");
        ErrorRate.Cer(truth, second.Text).ShouldBeLessThan(0.1);
        ErrorRate.Cer(truth, third.Text).ShouldBeLessThan(0.1);
    }

    [Fact]
    public async Task A_runs_stream_gives_the_plan_first_then_only_the_pages_not_yet_done()
    {
        var work = Work("odd/garratts_3page_g4.tif", "1-3");

        var events = await _pipeline.Run(work, new HashSet<int> { 1, 2 }, default).RunWith(Sink.Seq<PageStreamEvent>(), Sys.Materializer());

        var plan = events[0].ShouldBeOfType<DocumentPlanned>();
        plan.PageCount.ShouldBe(3);
        plan.Planned.ShouldBe([1, 2, 3]);
        plan.ToRead.ShouldBe([3]);
        events.Skip(1).Select(e => e.ShouldBeOfType<PageRead>().Page.PageNumber).ShouldBe([3]);
    }

    [Theory]
    [InlineData(null, new int[0], new[] { 1, 2, 3, 4 })]
    [InlineData("2-3", new[] { 2 }, new[] { 3 })]
    [InlineData("1,4", new[] { 1, 4 }, new int[0])]
    [InlineData("3-9", new[] { 1 }, new[] { 3, 4 })]
    public void The_resume_rule_reads_the_selected_pages_not_yet_done(string? selection, int[] done, int[] expected)
    {
        var work = Work("pdfs/ocrmypdf_cardinal.pdf", selection);

        PagePipeline.PagesToDo(work, 4, done.ToHashSet()).ShouldBe(expected);
    }

    [Fact]
    public async Task A_page_selection_naming_no_page_fails_the_run_with_a_clear_error()
    {
        var work = Work("odd/garratts_3page_g4.tif", "7-9");

        var error = await Should.ThrowAsync<OcrDocumentException>(() =>
            _pipeline.Run(work, new HashSet<int>(), default).RunWith(Sink.Seq<PageStreamEvent>(), Sys.Materializer()));

        error.Message.ShouldContain("names no page of this 3-page document");
    }

    [Fact]
    public async Task Cancelling_stops_the_stream_and_leaves_the_engines_idle()
    {
        var work = Work("pdfs/ocrmypdf_cardinal.pdf");
        using var document = await _pipeline.OpenAsync(work, default);
        using var cancellation = new CancellationTokenSource();
        var probe = this.CreateManualSubscriberProbe<PageModel>();
        var killSwitch = _pipeline.Pages(document, [1, 2, 3, 4], work, cancellation.Token)
            .ViaMaterialized(KillSwitches.Single<PageModel>(), Keep.Right)
            .To(Sink.FromSubscriber(probe))
            .Run(Sys.Materializer());
        var subscription = await probe.ExpectSubscriptionAsync();
        subscription.Request(10);
        await Task.Delay(500);

        killSwitch.Shutdown();
        cancellation.Cancel();

        // Which reaches the end first, the kill switch's completion or the cancelled page load's
        // error, is a race (the job actor ignores both once it has stopped the run); either is an end.
        var end = await probe.ExpectEventAsync();
        (end is TestSubscriber.OnComplete || end is TestSubscriber.OnError { Cause: OperationCanceledException }).ShouldBeTrue($"the stream ended with {end}");
        await AwaitConditionAsync(() => Task.FromResult(_pool.Busy == 0), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task A_document_error_fails_the_stream_with_the_page_number()
    {
        var work = Work("odd/garratts_3page_g4.tif");
        using var document = new FailingDocument();

        var error = await Should.ThrowAsync<OcrDocumentException>(() =>
            _pipeline.Pages(document, [1, 2], work, default).RunWith(Sink.Seq<PageModel>(), Sys.Materializer()));

        error.Message.ShouldContain("page 2");
        document.Attempts.ShouldBe(_options.PageAttempts);
    }

    /// <summary>A real document seam that fails page 2 transiently every time.</summary>
    private sealed class FailingDocument : IDocument
    {
        public int Attempts;

        public int PageCount => 2;

        public Task<LoadedPage> LoadPageAsync(int pageNumber, CancellationToken cancellationToken)
        {
            if (pageNumber == 2)
            {
                Interlocked.Increment(ref Attempts);
                throw new OcrPageException("render crashed", transient: true);
            }

            return Task.FromResult<LoadedPage>(new TextPage(pageNumber, "ok", PageSources.TextFile, 0, 0));
        }

        public void Dispose()
        {
        }
    }

    public new void Dispose()
    {
        _pool.Dispose();
        base.Dispose();
    }
}
