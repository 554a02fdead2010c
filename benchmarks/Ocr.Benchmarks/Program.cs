using Ocr.Pipeline.Pages;
using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Native;
using Ocr.Pipeline.Neural;
using Ocr.Pipeline.Streams;
using Ocr.TestSupport;

// Accuracy of the page pipeline on ../shared/eval per engine, preprocessing mode and with/without
// orientation detection: CER (case-insensitive) per group, WER, CPU seconds per page, and each
// page's confidence beside its CER (for calibration).
// usage: dotnet run -c Release --project benchmarks/Ocr.Benchmarks [-- --runs tesseract:none,tesseract:auto,...]
//        [--dpi 300] [--out accuracy-by-mode.json] [--only substring]
// A run is ENGINE:MODE[:norotate]; ENGINE is tesseract, neural or auto (auto = tesseract, escalating to neural).
if (args.Length > 0 && args[0] == "journal")
{
    await JournalBenchmark.RunAsync(args);
    return;
}

if (args.Length > 0 && args[0] == "gpu")
{
    // The host's `gpu` report, from a console app that needs no ASP.NET Core (for GPU machines).
    Console.WriteLine(JsonSerializer.Serialize(GpuReport.Build(args.Length > 1 ? args[1] : null), new JsonSerializerOptions { WriteIndented = true }));
    return;
}

if (args.Length > 1 && args[0] == "stages")
{
    await StageBenchmark.RunAsync(args);
    return;
}

NativeLibraries.EnsureLoaded();
var runs = Arg("runs", "tesseract:none,tesseract:auto,tesseract:full,tesseract:auto:norotate,neural:auto,auto:auto").Split(',');
var dpi = int.Parse(Arg("dpi", "300"));
var only = Arg("only", "");
var escalateBelow = double.Parse(Arg("escalate-below", "0.95"), System.Globalization.CultureInfo.InvariantCulture);
// --raw: engines report their uncalibrated confidences (input for benchmarks/calibrate.py).
var raw = args.Contains("--raw");
var files = Directory.GetFiles(EvalCorpus.Root, "*.gt.txt", SearchOption.AllDirectories)
    .Select(gt => Directory.GetFiles(Path.GetDirectoryName(gt)!, Path.GetFileName(gt)[..^7] + ".*").FirstOrDefault(f => !f.EndsWith(".gt.txt")))
    .Where(f => f is not null && FileTypes.KindOf(Path.GetExtension(f)!) is DocumentKind.Image or DocumentKind.Tiff or DocumentKind.Pdf)
    .Select(f => f!)
    .Where(f => f.Contains(only, StringComparison.Ordinal))
    .Order()
    .ToList();

var options = new PipelineOptions
{
    PdfDpi = dpi, PdfFormat = "PGM", PdfTextLayer = "ignore", EscalateBelow = escalateBelow,
    TesseractCalibration = raw ? ConfidenceCalibration.Identity : EngineCalibrations.Tesseract,
};
using var pool = new TesseractPool(options);
await pool.StartAsync();
using var system = ActorSystem.Create("bench");
var materializer = system.Materializer();
var repository = new DirectoryInfo(AppContext.BaseDirectory);
while (!File.Exists(Path.Combine(repository.FullName, "AkkaOcr.sln")))
{
    repository = repository.Parent!;
}

var models = NeuralModelSet.Load(Path.Combine(repository.FullName, "models"), Arg("model", "ppocr-v4"));
var provider = ExecutionProvider.Choose(Arg("provider", "auto"), false, "benchmark");
using var neural = new NeuralEngine(models, provider, () => materializer, new NeuralOptions
{
    Workers = int.Parse(Arg("neural-workers", options.ResolvedEngineCount.ToString())),
    DetectionMaxSide = int.Parse(Arg("detection-side", "1600")),
    SpaceGapRatio = double.Parse(Arg("space-gap", "0.2"), System.Globalization.CultureInfo.InvariantCulture),
    ReceiptLineWidthScale = double.Parse(Arg("receipt-line-width", new NeuralOptions().ReceiptLineWidthScale.ToString(System.Globalization.CultureInfo.InvariantCulture)), System.Globalization.CultureInfo.InvariantCulture),
    Calibration = raw ? ConfidenceCalibration.Identity : EngineCalibrations.Neural,
});
var pipeline = new PagePipeline(pool, options, neural);
var report = new List<object>();
var confidences = new List<object>();
Console.WriteLine($"{"configuration",-26} {"all",7} {"receipts",9} {"documents",10} {"scanned",8} {"rotated",8} {"pdfs",7} {"odd",7} {"WER all",8} {"s/page",7} {"pages/s",7} {"escal.",6}");
foreach (var run in runs)
{
    var parts = run.Split(':');
    var engine = parts[0];
    var mode = Enum.Parse<PreprocessMode>(parts.Length > 1 ? parts[1] : "auto", ignoreCase: true);
    var rotate = !(parts.Length > 2 && parts[2] == "norotate");
    var escalated = 0;
    // Seconds per stage, summed by kind of page (receipt or document), with the page counts.
    var stageSeconds = new Dictionary<string, Dictionary<string, double>> { ["receipt"] = [], ["document"] = [] };
    var stagePages = new Dictionary<string, int> { ["receipt"] = 0, ["document"] = 0 };
    var cers = new Dictionary<string, double>();
    var wers = new Dictionary<string, double>();
    var pages = 0;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var childCpu = StockCli.CpuTime;
    var wall = Stopwatch.StartNew();
    foreach (var file in files)
    {
        var relative = Path.GetRelativePath(EvalCorpus.Root, file);
        var work = new JobWork(file, FileTypes.KindOf(Path.GetExtension(file))!.Value, null, null, "eng", rotate, mode, engine);
        string text;
        try
        {
            if (engine == "cli")
            {
                (text, var cliPages) = await StockCli.ReadAsync(file, dpi);
                pages += cliPages;
                cers[relative] = ErrorRate.Cer(EvalCorpus.GroundTruth(relative), text);
                wers[relative] = ErrorRate.Wer(EvalCorpus.GroundTruth(relative), text);
                continue;
            }

            using var document = await pipeline.OpenAsync(work, default);
            var todo = PagePipeline.PagesToDo(work, document.PageCount, new HashSet<int>());
            var results = (await pipeline.Pages(document, todo, work, default).RunWith(Sink.Seq<PageModel>(), materializer)).OrderBy(r => r.PageNumber).ToList();
            pages += results.Count;
            escalated += results.Count(r => r.Escalated);
            var kind = relative.Contains("sroie_") ? "receipt" : "document";
            foreach (var r in results.Where(r => r.Stages is not null))
            {
                stagePages[kind]++;
                foreach (var (stage, secondsSpent) in r.Stages!)
                {
                    stageSeconds[kind][stage] = stageSeconds[kind].GetValueOrDefault(stage) + secondsSpent;
                }
            }
            if (Arg("only", "") is { Length: > 0 })
            {
                foreach (var r in results)
                {
                    Console.Error.WriteLine($"{relative} page {r.PageNumber}: {r.Engine}, confidence {r.Confidence:F3}, rotation {r.Rotation}, deskew {r.DeskewAngle:F2}");
                }
            }
            text = string.Join("\n", results.Select(r => r.Text));
            if (results.Count == 1)
            {
                confidences.Add(new { run, file = relative, engine = results[0].Engine, confidence = results[0].Confidence,
                    cer = ErrorRate.Cer(EvalCorpus.GroundTruth(relative), text), letters = text.Count(char.IsLetterOrDigit) });
            }
        }
        catch (OcrDocumentException e)
        {
            Console.Error.WriteLine($"{relative}: {e.Message}");
            text = "";
        }

        if (Arg("dump", "") is { Length: > 0 } dump)
        {
            var target = Path.Combine(dump, run.Replace(':', '_'), Path.ChangeExtension(relative, ".txt"));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await File.WriteAllTextAsync(target, text);
        }

        cers[relative] = ErrorRate.Cer(EvalCorpus.GroundTruth(relative), text);
        wers[relative] = ErrorRate.Wer(EvalCorpus.GroundTruth(relative), text);
    }

    // The CLI runs in child processes: its CPU time is theirs.
    var cpuUsed = engine == "cli" ? StockCli.CpuTime - childCpu : Process.GetCurrentProcess().TotalProcessorTime - cpu;
    var seconds = cpuUsed.TotalSeconds / Math.Max(1, pages);
    var pagesPerSecond = pages / wall.Elapsed.TotalSeconds;
    double Mean(Func<string, bool> group) => cers.Where(c => group(c.Key)).Select(c => c.Value).DefaultIfEmpty(double.NaN).Average();
    var row = new
    {
        configuration = run,
        all = Mean(_ => true),
        receipts = Mean(k => k.Contains("sroie_")),
        documents = Mean(k => k.StartsWith("images") && !k.Contains("sroie_")),
        scanned = Mean(k => k.StartsWith("images") || k.StartsWith("pdfs")),
        rotated = Mean(k => k.Contains("rot") || k.Contains("cardinal")),
        pdfs = Mean(k => k.StartsWith("pdfs")),
        odd = Mean(k => k.StartsWith("odd")),
        wer_all = wers.Values.Average(),
        cpu_seconds_per_page = seconds,
        pages_escalated = escalated,
        pages,
        pages_per_second = pagesPerSecond,
        files = cers,
        files_wer = wers,
        seconds_per_page_by_stage = stageSeconds.ToDictionary(k => k.Key, k => k.Value.OrderBy(v => v.Key)
            .ToDictionary(v => v.Key, v => Math.Round(v.Value / Math.Max(1, stagePages[k.Key]), 3))),
        pages_by_kind = stagePages,
    };
    report.Add(row);
    foreach (var (kind, stages) in row.seconds_per_page_by_stage)
    {
        Console.WriteLine($"  {kind} ({stagePages[kind]} pages), s/page: " + string.Join(", ", stages.Select(s => $"{s.Key} {s.Value:F3}")));
    }

    Console.WriteLine($"{row.configuration,-26} {row.all,7:P1} {row.receipts,9:P1} {row.documents,10:P1} {row.scanned,8:P1} {row.rotated,8:P1} {row.pdfs,7:P1} {row.odd,7:P1} {row.wer_all,8:P1} {seconds,7:F2} {pagesPerSecond,7:F2} {escalated,6}");
}

var output = Path.Combine(repository.FullName, "benchmarks", "results");
Directory.CreateDirectory(output);
var path = Path.Combine(output, Arg("out", "accuracy-by-mode.json"));
await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { runs = report, confidences }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
Console.WriteLine($"written to {Path.GetFullPath(path)} ({files.Count} files)");

string Arg(string name, string fallback) => CommandLine.Value(args, name, fallback);

/// <summary>The stock `tesseract` CLI with default settings, one file after another; PDFs rendered by pdftoppm first.</summary>
internal static class StockCli
{
    /// <summary>CPU time of every child process this one has waited for (cutime + cstime of /proc/self/stat).</summary>
    public static TimeSpan CpuTime
    {
        get
        {
            var fields = File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // After the ")" field 1 is the state; cutime and cstime are fields 16 and 17 of the whole line.
            var ticks = long.Parse(fields[16 - 3]) + long.Parse(fields[17 - 3]);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
    }

    public static async Task<(string Text, int Pages)> ReadAsync(string file, int dpi)
    {
        var work = Directory.CreateTempSubdirectory("ocr-cli-").FullName;
        try
        {
            var images = new List<string>();
            if (file.EndsWith(".pdf", StringComparison.OrdinalIgnoreCase))
            {
                await RunAsync("pdftoppm", ["-r", dpi.ToString(), "-png", file, Path.Combine(work, "page")]);
                images.AddRange(Directory.GetFiles(work, "page*.png").Order());
            }
            else
            {
                images.Add(file);
            }

            var text = new List<string>();
            foreach (var image in images)
            {
                text.Add(await RunAsync("tesseract", [image, "stdout"]));
            }

            return (string.Join("\n", text), Math.Max(1, images.Count));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<string> RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Default OpenMP threading, as users run it; this process pins it to 1 for its own engines.
        start.Environment.Remove("OMP_THREAD_LIMIT");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await output;
    }
}

