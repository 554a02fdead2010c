using System.Diagnostics.Metrics;
using Ocr.Actors.Jobs;
using Ocr.Pipeline.Streams;

namespace Ocr.Actors.Metrics;

/// <summary>
/// The service's instruments, in one place (exported at /metrics by the host). Base units; labels
/// never carry a job id, user id or file name. Each node counts what it did: the entity that
/// persists an event records it, the admission reports its own slots.
/// </summary>
public static class OcrMetrics
{
    public const string MeterName = "AkkaOcr";

    private static readonly Meter Meter = new(MeterName, "1.0");

    private static readonly Counter<long> JobsSubmitted = Meter.CreateCounter<long>("ocr.jobs.submitted", "{job}", "Jobs accepted (202)");

    private static readonly Counter<long> JobsFinished = Meter.CreateCounter<long>("ocr.jobs.finished", "{job}", "Jobs that ended, by status");

    private static readonly Counter<long> Pages = Meter.CreateCounter<long>("ocr.pages", "{page}", "Pages read, by engine and source");

    private static readonly Histogram<double> PageDuration = Meter.CreateHistogram("ocr.page.duration", "s", "Time to read one page",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64] });

    private static readonly Histogram<double> JobDuration = Meter.CreateHistogram("ocr.job.duration", "s", "Time from a job's start to its end",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800] });

    private static readonly Histogram<double> JournalWrite = Meter.CreateHistogram("ocr.journal.write.duration", "s", "Time to persist a job's events",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5] });

    private static (int Running, int Queued) _admission;

    static OcrMetrics()
    {
        Meter.CreateObservableGauge("ocr.jobs.running", () => _admission.Running, "{job}", "Job slots held on this node");
        Meter.CreateObservableGauge("ocr.jobs.queued", () => _admission.Queued, "{job}", "Jobs waiting for a slot, as this node sees them");
    }

    public static void Submitted() => JobsSubmitted.Add(1);

    public static void Finished(JobState job)
    {
        JobsFinished.Add(1, new KeyValuePair<string, object?>("status", job.Status));
        if (job.StartedAt is { } started && job.CompletedAt is { } completed)
        {
            JobDuration.Record(Math.Max(0, (completed - started).TotalSeconds));
        }
    }

    public static void PageRead(Jobs.StoredPage page)
    {
        Pages.Add(1, new KeyValuePair<string, object?>("engine", page.Engine ?? "none"), new KeyValuePair<string, object?>("source", page.Source));
        PageDuration.Record(page.ProcessingTime);
    }

    public static void JournalWritten(TimeSpan took) => JournalWrite.Record(took.TotalSeconds);

    public static void AdmissionChanged(int running, int queued) => _admission = (running, queued);

    private static Akka.Cluster.Cluster? _cluster;

    /// <summary>Members by status and unreachable members, as this node sees the cluster.</summary>
    public static void ObserveCluster(Akka.Actor.ActorSystem system)
    {
        if (Interlocked.Exchange(ref _cluster, Akka.Cluster.Cluster.Get(system)) is not null)
        {
            return;
        }

        Meter.CreateObservableGauge("ocr.cluster.members", () => _cluster!.State.Members
            .GroupBy(m => m.Status)
            .Select(g => new Measurement<int>(g.Count(), new KeyValuePair<string, object?>("status", g.Key.ToString()))), "{node}", "Cluster members by status");
        Meter.CreateObservableGauge("ocr.cluster.unreachable", () => _cluster!.State.Unreachable.Count, "{node}", "Members this node cannot reach");
    }

    private static (int Shards, int Entities) _region;

    /// <summary>The job shards and entities this node hosts (sampled by <see cref="NodeGauges"/>).</summary>
    public static void RegionSampled(int shards, int entities) => _region = (shards, entities);

    private static int _observingNode;

    /// <summary>
    /// Node gauges: job shards and entities hosted here, the mailbox depth of the node's busy actors,
    /// and the engines' own counters (pages read, busy) — observed, so the engines keep their lock-free counts.
    /// </summary>
    public static void ObserveNode(IReadOnlyDictionary<string, Akka.Actor.IActorRef> actors, PagePipeline pipeline, Pipeline.Engines.GpuStatus? gpu)
    {
        if (Interlocked.Exchange(ref _observingNode, 1) == 1)
        {
            return;
        }

        Meter.CreateObservableGauge("ocr.shards", () => _region.Shards, "{shard}", "Job shards hosted on this node");
        Meter.CreateObservableGauge("ocr.job.entities", () => _region.Entities, "{entity}", "Job entities alive on this node");
        Meter.CreateObservableGauge("ocr.actor.mailbox.depth", () => actors
            .Select(a => new Measurement<int>(MailboxDepth(a.Value), new KeyValuePair<string, object?>("actor", a.Key))), "{message}", "Messages waiting in the mailboxes of the node's busy actors");
        Meter.CreateObservableCounter("ocr.engine.pages", () => new[]
        {
            new Measurement<long>(pipeline.Pool.PagesRecognized, new KeyValuePair<string, object?>("engine", "tesseract")),
            new Measurement<long>(pipeline.Neural?.PagesRecognized ?? 0, new KeyValuePair<string, object?>("engine", "neural")),
        }, "{page}", "Pages each engine recognised (retries and escalations included)");
        Meter.CreateObservableGauge("ocr.engine.busy", () => new[]
        {
            new Measurement<int>(pipeline.Pool.Busy, new KeyValuePair<string, object?>("engine", "tesseract")),
            new Measurement<int>(pipeline.Neural?.Busy ?? 0, new KeyValuePair<string, object?>("engine", "neural")),
        }, "{engine}", "Engines (Tesseract instances, neural workers) at work");
        if (gpu is { Detected: true, TotalMemoryGb: { } total })
        {
            // Read once at start-up (GPU detection); free memory as then.
            Meter.CreateObservableGauge("ocr.gpu.memory", () => new[]
            {
                new Measurement<double>(total * 1e9, new KeyValuePair<string, object?>("kind", "total")),
                new Measurement<double>((gpu.FreeMemoryGb ?? 0) * 1e9, new KeyValuePair<string, object?>("kind", "free_at_start")),
            }, "By", "GPU memory");
        }
    }

    private static int MailboxDepth(Akka.Actor.IActorRef actor) =>
        actor is Akka.Actor.ActorRefWithCell { Underlying: { } cell } ? cell.NumberOfMessages : 0;
}
