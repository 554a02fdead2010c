using System.Collections.Immutable;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;
using Ocr.Actors.Jobs;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Streams;
using Ocr.TestSupport;

namespace Ocr.Actors.Tests;

public sealed class NodeAdmissionTests : TestKit
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Slots_go_to_waiting_jobs_in_acceptance_order_never_more_than_the_limit()
    {
        var admission = Sys.ActorOf(NodeAdmission.Props(new JobOptions { MaxConcurrentJobs = 2 }));
        var entities = Enumerable.Range(0, 4).Select(_ => CreateTestProbe()).ToArray();
        var ids = Enumerable.Range(0, 4).Select(i => new JobId($"job-{i}")).ToArray();

        // Asked out of order (as entities recovering after a restart do): 2, 0, 3, 1 with acceptance times 0..3.
        foreach (var i in new[] { 2, 0 })
        {
            admission.Tell(new NodeAdmission.RequestSlot(ids[i], T0.AddSeconds(i)), entities[i]);
        }

        entities[2].ExpectMsg<NodeAdmission.SlotOffered>();
        entities[0].ExpectMsg<NodeAdmission.SlotOffered>();
        admission.Tell(new NodeAdmission.RequestSlot(ids[3], T0.AddSeconds(3)), entities[3]);
        admission.Tell(new NodeAdmission.RequestSlot(ids[1], T0.AddSeconds(1)), entities[1]);
        entities[1].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        entities[3].ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        admission.Tell(new NodeAdmission.ReleaseSlot(ids[2]));
        entities[1].ExpectMsg<NodeAdmission.SlotOffered>(); // the older of the two waiting
        entities[3].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        var state = await admission.Ask<NodeAdmission.AdmissionState>(NodeAdmission.GetAdmission.Instance);
        state.Running.ShouldBe(2);
        state.WaitingInOrder.ShouldBe(["job-3"]);
        state.OldestWaiting.ShouldBe(T0.AddSeconds(3));
    }

    [Fact]
    public void An_entity_that_stops_gives_its_slot_back()
    {
        var admission = Sys.ActorOf(NodeAdmission.Props(new JobOptions { MaxConcurrentJobs = 1 }));
        var doomed = Sys.ActorOf(Props.Create(() => new Forwarder(TestActor)));
        var next = CreateTestProbe();

        admission.Tell(new NodeAdmission.RequestSlot(new JobId("a"), T0), doomed);
        ExpectMsg<NodeAdmission.SlotOffered>();
        admission.Tell(new NodeAdmission.RequestSlot(new JobId("b"), T0.AddSeconds(1)), next);
        next.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Sys.Stop(doomed);

        next.ExpectMsg<NodeAdmission.SlotOffered>().JobId.ShouldBe(new JobId("b"));
    }

    [Fact]
    public void A_full_queue_answers_QueueFull_with_a_retry_time_and_reservations_count_against_it()
    {
        var admission = Sys.ActorOf(NodeAdmission.Props(new JobOptions { MaxConcurrentJobs = 1, MaxQueuedJobs = 2, JobTimeout = TimeSpan.FromSeconds(100) }));

        admission.Tell(new NodeAdmission.Reserve(new JobId("a")));
        ExpectMsg<NodeAdmission.Reserved>();
        admission.Tell(new NodeAdmission.Reserve(new JobId("b")));
        ExpectMsg<NodeAdmission.Reserved>();
        admission.Tell(new NodeAdmission.Reserve(new JobId("c")));

        ExpectMsg<JobReplies.QueueFull>().RetryAfterSeconds.ShouldBe(20); // 2 ahead x 10 s each over 1 slot
        admission.Tell(new NodeAdmission.RequestSlot(new JobId("a"), T0)); // a's entity takes its slot
        ExpectMsg<NodeAdmission.SlotOffered>();
        admission.Tell(new NodeAdmission.Reserve(new JobId("c")));
        ExpectMsg<NodeAdmission.Reserved>();
    }

    [Fact]
    public async Task A_leaving_node_fails_its_running_work_streams_so_the_jobs_go_on_elsewhere_and_offers_no_more_slots()
    {
        using var pool = new TesseractPool(new PipelineOptions { EngineCount = 1 });
        var work = new JobWork(EvalCorpus.PathOf("pdfs/ocrmypdf_cardinal.pdf"), DocumentKind.Pdf, null, 150, "eng", AutoRotate: false);
        var (admission, read) = await RunningWorkAsync(pool, work);
        var offeredBefore = CreateTestProbe();
        admission.Tell(new NodeAdmission.RequestSlot(new JobId("offered-before"), T0.AddSeconds(1)), offeredBefore);
        offeredBefore.ExpectMsg<NodeAdmission.SlotOffered>();

        var state = await admission.Ask<NodeAdmission.AdmissionState>(NodeAdmission.Drain.Leaving);
        admission.Tell(new NodeAdmission.TakeSlot(new JobId("offered-before"), work, []), offeredBefore);
        offeredBefore.ExpectMsg<NodeAdmission.SlotWithdrawn>();

        state.Draining.ShouldBeTrue();
        state.Running.ShouldBe(1); // the offer still held; the work no longer
        var failure = await Should.ThrowAsync<Exception>(() => read.WaitAsync(TimeSpan.FromSeconds(30)));
        failure.Message.ShouldContain("node node-a is leaving");
        admission.Tell(new NodeAdmission.RequestSlot(new JobId("later"), T0.AddSeconds(1)));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task A_node_drained_by_an_operator_lets_its_running_work_finish()
    {
        using var pool = new TesseractPool(new PipelineOptions { EngineCount = 1 });
        var (admission, read) = await RunningWorkAsync(pool, new JobWork(EvalCorpus.PathOf("pdfs/ocrmypdf_cardinal.pdf"), DocumentKind.Pdf, "1", 150, "eng", AutoRotate: false));

        (await admission.Ask<NodeAdmission.AdmissionState>(NodeAdmission.Drain.Instance)).Running.ShouldBe(1);

        (await read.WaitAsync(TimeSpan.FromSeconds(60))).OfType<WorkPage>().Single().Page.PageNumber.ShouldBe(1);
    }

    /// <summary>An admission on node-a with real Tesseract, running <paramref name="work"/> in a slot; the work's events as read through its stream reference.</summary>
    private async Task<(IActorRef Admission, Task<IImmutableList<IWorkEvent>> Read)> RunningWorkAsync(TesseractPool pool, JobWork work)
    {
        await pool.StartAsync();
        var admission = Sys.ActorOf(NodeAdmission.Props(new JobOptions { MaxConcurrentJobs = 2 }, new PagePipeline(pool, new PipelineOptions { EngineCount = 1 }), "node-a"));
        var job = new JobId("scanned-pages");
        admission.Tell(new NodeAdmission.RequestSlot(job, T0));
        ExpectMsg<NodeAdmission.SlotOffered>();
        admission.Tell(new NodeAdmission.TakeSlot(job, work, []));
        var events = ExpectMsg<ISourceRef<IWorkEvent>>(TimeSpan.FromSeconds(10));
        return (admission, events.Source.RunWith(Sink.Seq<IWorkEvent>(), Sys.Materializer()));
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef target) => ReceiveAny(m => target.Forward(m));
    }
}
