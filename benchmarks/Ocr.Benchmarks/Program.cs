using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Native;
using Ocr.Pipeline.Streams;
using Ocr.TestSupport;

// Accuracy of the page pipeline on ../shared/eval per preprocessing mode and with/without
// orientation detection: CER (case-insensitive) per group, and CPU seconds per page.
// usage: dotnet run -c Release --project benchmarks/Ocr.Benchmarks [-- modes auto,none,full] [--dpi 300]
NativeLibraries.EnsureLoaded();
var modes = Arg("modes", "none,auto,full").Split(',');
var dpi = int.Parse(Arg("dpi", "300"));
var files = Directory.GetFiles(EvalCorpus.Root, "*.gt.txt", SearchOption.AllDirectories)
    .Select(gt => Directory.GetFiles(Path.GetDirectoryName(gt)!, Path.GetFileName(gt)[..^7] + ".*").FirstOrDefault(f => !f.EndsWith(".gt.txt")))
    .Where(f => f is not null && FileTypes.KindOf(Path.GetExtension(f)!) is DocumentKind.Image or DocumentKind.Tiff or DocumentKind.Pdf)
    .Select(f => f!)
    .Order()
    .ToList();

var options = new PipelineOptions { PdfDpi = dpi, PdfFormat = "PGM", PdfTextLayer = "ignore" };
using var pool = new TesseractPool(options);
await pool.StartAsync();
var pipeline = new PagePipeline(pool, options);
using var system = ActorSystem.Create("bench");
var materializer = system.Materializer();
var configurations = modes.Select(m => (Mode: Enum.Parse<PreprocessMode>(m, ignoreCase: true), Rotate: true)).ToList();
configurations.Add((PreprocessMode.Auto, false));
var report = new List<object>();
Console.WriteLine($"{"configuration",-22} {"all",7} {"receipts",9} {"documents",10} {"rotated",8} {"pdfs",7} {"odd",7} {"WER all",8} {"s/page",7}");
foreach (var (mode, rotate) in configurations)
{
    var cers = new Dictionary<string, double>();
    var wers = new Dictionary<string, double>();
    var pages = 0;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    foreach (var file in files)
    {
        var relative = Path.GetRelativePath(EvalCorpus.Root, file);
        var work = new JobWork(file, FileTypes.KindOf(Path.GetExtension(file))!.Value, null, null, "eng", rotate, mode);
        string text;
        try
        {
            using var document = await pipeline.OpenAsync(work, default);
            var todo = PagePipeline.PagesToDo(work, document.PageCount, new HashSet<int>());
            var results = await pipeline.Pages(document, todo, work, default).RunWith(Sink.Seq<PageResult>(), materializer);
            pages += results.Count;
            text = string.Join("\n", results.Select(r => r.Text));
        }
        catch (OcrDocumentException e)
        {
            Console.Error.WriteLine($"{relative}: {e.Message}");
            text = "";
        }

        cers[relative] = ErrorRate.Cer(EvalCorpus.GroundTruth(relative), text);
        wers[relative] = ErrorRate.Wer(EvalCorpus.GroundTruth(relative), text);
    }

    var seconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / Math.Max(1, pages);
    double Mean(Func<string, bool> group) => cers.Where(c => group(c.Key)).Select(c => c.Value).DefaultIfEmpty(double.NaN).Average();
    var row = new
    {
        configuration = $"{mode.ToString().ToLowerInvariant()}{(rotate ? "" : " (no orientation)")}",
        all = Mean(_ => true),
        receipts = Mean(k => k.Contains("sroie_")),
        documents = Mean(k => k.StartsWith("images") && !k.Contains("sroie_")),
        rotated = Mean(k => k.Contains("rot") || k.Contains("cardinal")),
        pdfs = Mean(k => k.StartsWith("pdfs")),
        odd = Mean(k => k.StartsWith("odd")),
        wer_all = wers.Values.Average(),
        cpu_seconds_per_page = seconds,
        files = cers,
        files_wer = wers,
    };
    report.Add(row);
    Console.WriteLine($"{row.configuration,-22} {row.all,7:P1} {row.receipts,9:P1} {row.documents,10:P1} {row.rotated,8:P1} {row.pdfs,7:P1} {row.odd,7:P1} {row.wer_all,8:P1} {seconds,7:F2}");
}

var root = new DirectoryInfo(AppContext.BaseDirectory);
while (!File.Exists(Path.Combine(root.FullName, "AkkaOcr.sln")))
{
    root = root.Parent!;
}

var output = Path.Combine(root.FullName, "benchmarks", "results");
Directory.CreateDirectory(output);
var path = Path.Combine(output, "accuracy-by-mode.json");
await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"written to {Path.GetFullPath(path)} ({files.Count} files)");

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
