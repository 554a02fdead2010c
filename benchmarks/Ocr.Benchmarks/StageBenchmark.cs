using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Native;
using Ocr.Pipeline.Neural;
using Ocr.Pipeline.Pages;
using Ocr.Pipeline.Streams;
using Ocr.TestSupport;

/// <summary>
/// Where the time of one document goes, stage by stage, through the service's own page pipeline
/// (rendering included): for each run ENGINE:MODE, the seconds each stage took summed over the
/// pages, the process's CPU seconds and its children's (pdftoppm), wall time and pages/s. Runs
/// on any file, with or without ground truth (perf.py's mixed PDF is the one to use).
/// usage: dotnet run -c Release --project benchmarks/Ocr.Benchmarks -- stages FILE
///        [--runs tesseract:none,auto:auto] [--dpi 300] [--escalate-below 0.95] [--engines N] [--neural-workers N]
///        [--detection-side 1600] [--receipt-line-width 0.8] [--out stages.json]
/// Peak resident memory is the process's own for each run (its high-water mark is reset before
/// the run): the pipeline's, without the host's web and cluster parts.
/// </summary>
internal static class StageBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var file = Path.GetFullPath(args[1]);
        var runs = CommandLine.Value(args, "runs", "tesseract:none,auto:auto").Split(',');
        var dpi = int.Parse(CommandLine.Value(args, "dpi", "300"), CultureInfo.InvariantCulture);
        var escalateBelow = double.Parse(CommandLine.Value(args, "escalate-below", "0.95"), CultureInfo.InvariantCulture);
        var output = CommandLine.Value(args, "out", Path.Combine(Repository.Root, "benchmarks", "results", "stages.json"));
        NativeLibraries.EnsureLoaded();
        var options = new PipelineOptions
        {
            PdfDpi = dpi,
            EscalateBelow = escalateBelow,
            EngineCount = int.Parse(CommandLine.Value(args, "engines", "0"), CultureInfo.InvariantCulture),
        };
        using var pool = new TesseractPool(options);
        await pool.StartAsync();
        using var system = ActorSystem.Create("stages");
        var materializer = system.Materializer();
        var models = NeuralModelSet.Load(Path.Combine(Repository.Root, "models"), CommandLine.Value(args, "model", "ppocr-v4"));
        using var neural = new NeuralEngine(models, ExecutionProvider.Choose("auto", false, "benchmark"), () => materializer, new NeuralOptions
        {
            Workers = int.Parse(CommandLine.Value(args, "neural-workers", options.ResolvedEngineCount.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture),
            DetectionMaxSide = int.Parse(CommandLine.Value(args, "detection-side", new NeuralOptions().DetectionMaxSide.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture),
            ReceiptLineWidthScale = double.Parse(CommandLine.Value(args, "receipt-line-width", new NeuralOptions().ReceiptLineWidthScale.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture),
            Calibration = EngineCalibrations.Neural,
        });
        var pipeline = new PagePipeline(pool, options, neural);
        var kind = FileTypes.KindOf(Path.GetExtension(file)) ?? throw new ArgumentException($"not a document this service reads: {file}");
        var report = new List<object>();
        foreach (var run in runs)
        {
            var parts = run.Split(':');
            var mode = Enum.Parse<PreprocessMode>(parts.Length > 1 ? parts[1] : "auto", ignoreCase: true);
            var work = new JobWork(file, kind, null, dpi, "eng", true, mode, parts[0]);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var childCpu = StockCli.CpuTime;
            var residentBefore = PeakResident.Reset();
            var gcBefore = GcSpent.Now();
            var wall = Stopwatch.StartNew();
            using var document = await pipeline.OpenAsync(work, default);
            var todo = PagePipeline.PagesToDo(work, document.PageCount, new HashSet<int>());
            var finished = new List<(int Page, double At, string? Engine, double Seconds)>();
            var results = await pipeline.Pages(document, todo, work, default)
                .Select(page =>
                {
                    finished.Add((page.PageNumber, wall.Elapsed.TotalSeconds, page.Engine, page.ProcessingTime));
                    return page;
                })
                .RunWith(Sink.Seq<PageModel>(), materializer);
            var seconds = wall.Elapsed.TotalSeconds;
            var processCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var childrenCpu = (StockCli.CpuTime - childCpu).TotalSeconds;
            var gc = GcSpent.Now() - gcBefore;
            var stages = new Dictionary<string, double>();
            foreach (var (stage, spent) in results.SelectMany(r => r.Stages ?? new Dictionary<string, double>()))
            {
                stages[stage] = stages.GetValueOrDefault(stage) + spent;
            }

            var row = new
            {
                run,
                pages = results.Count,
                wall_seconds = Math.Round(seconds, 2),
                first_page_seconds = Math.Round(finished.Count > 0 ? finished[0].At : 0, 2),
                // The order pages finished in: what the first finished page waited for.
                pages_finished = finished.Select(f => new { page = f.Page, at_seconds = Math.Round(f.At, 2), engine = f.Engine, page_seconds = Math.Round(f.Seconds, 2) }).ToList(),
                pages_per_second = Math.Round(results.Count / seconds, 3),
                process_cpu_seconds = Math.Round(processCpu, 2),
                children_cpu_seconds = Math.Round(childrenCpu, 2),
                escalated = results.Count(r => r.Escalated),
                stage_seconds = stages.OrderByDescending(s => s.Value).ToDictionary(s => s.Key, s => Math.Round(s.Value, 2)),
                page_seconds = Math.Round(results.Sum(r => r.ProcessingTime), 2),
                resident_mb_before = residentBefore,
                peak_resident_mb = PeakResident.Megabytes(),
                gc_allocated_mb = Math.Round(gc.AllocatedBytes / 1048576.0, 1),
                gc_collections = new { gen0 = gc.Gen0, gen1 = gc.Gen1, gen2 = gc.Gen2 },
                gc_pause_seconds = Math.Round(gc.Pause.TotalSeconds, 3),
                gc_committed_mb_after = Math.Round(GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0, 1),
            };
            report.Add(row);
            Console.WriteLine($"{run}: {row.pages} pages in {row.wall_seconds} s ({row.pages_per_second} pages/s), first page {row.first_page_seconds} s, " +
                              $"CPU {row.process_cpu_seconds} s + children {row.children_cpu_seconds} s, escalated {row.escalated}, " +
                              $"resident {row.resident_mb_before} MB before, peak {row.peak_resident_mb} MB");
            Console.WriteLine($"  GC: {row.gc_allocated_mb} MB allocated, collections {gc.Gen0}/{gc.Gen1}/{gc.Gen2} (gen0/1/2), paused {row.gc_pause_seconds} s, committed {row.gc_committed_mb_after} MB after");
            Console.WriteLine("  stages (s, summed over pages): " + string.Join(", ", row.stage_seconds.Select(s => $"{s.Key} {s.Value:F2}")));
            Console.WriteLine("  first pages finished: " + string.Join(", ", finished.Take(4).Select(f => $"page {f.Page} at {f.At:F2} s ({f.Engine}, {f.Seconds:F2} s on it)")));
        }

        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(new { file, dpi, runs = report }, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"written to {output}");
    }
}

/// <summary>What the managed heap had done by a moment: bytes allocated, collections of each generation, time paused.</summary>
internal readonly record struct GcSpent(long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan Pause)
{
    public static GcSpent Now() =>
        new(GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

    public static GcSpent operator -(GcSpent after, GcSpent before) =>
        new(after.AllocatedBytes - before.AllocatedBytes, after.Gen0 - before.Gen0, after.Gen1 - before.Gen1, after.Gen2 - before.Gen2, after.Pause - before.Pause);
}

/// <summary>The process's peak resident memory (VmHWM), which Linux lets a process reset.</summary>
internal static class PeakResident
{
    /// <summary>Resets the high-water mark to the current resident size and returns that size, MB.</summary>
    public static int Reset()
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        return Read("VmRSS");
    }

    public static int Megabytes() => Read("VmHWM");

    private static int Read(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return (int)(long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024);
    }
}
