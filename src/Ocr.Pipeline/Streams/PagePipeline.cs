using System.Diagnostics;
using Akka;
using Akka.Streams.Dsl;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Native;
using Ocr.Pipeline.Neural;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Streams;

/// <summary>
/// Builds each job's page graph: page numbers → load/rasterize (a few pages ahead) → the
/// node's shared inference stages (the Tesseract pool; the neural engine's batching stage) →
/// page results as they are read (each names its page).
/// </summary>
public sealed class PagePipeline(TesseractPool pool, PipelineOptions options, NeuralEngine? neural = null)
{
    private readonly EnginePolicy _policy = new(pool, neural, neural?.Provider.OnGpu ?? false, options.CpuEngine, options.EscalateBelow);

    public PipelineOptions Options => options;

    /// <summary>
    /// Pages of one job handed to the engines at once: one per worker. Pages leave as they are
    /// read, so a finished page frees its place at once and the next one is already rendered (one
    /// more in flight measured the same pages/s on perf.py's mixed PDF, and holds one more page).
    /// </summary>
    private int ReadsInFlight => pool.Size;

    public TesseractPool Pool => pool;

    public NeuralEngine? Neural => neural;

    /// <summary>The engine `engine=auto` reads a document page with first (see <see cref="EnginePolicy"/>).</summary>
    public string AutoEngine => _policy.AutoEngine;

    /// <summary>Names what produced the pages (each page's source and engine): the OCR engines with version and language, or the text source.</summary>
    public string ModelUsedFor(IEnumerable<(string Source, string? Engine)> pages, string language = "eng")
    {
        var all = pages.ToList();
        var parts = new List<string>();
        if (all.Any(p => p.Source == PageSources.Ocr && p.Engine is null or OcrEngines.Tesseract))
        {
            parts.Add($"tesseract {TesseractEngine.Version} ({language})");
        }

        if (neural is not null && all.Any(p => p.Source == PageSources.Ocr && p.Engine == OcrEngines.Neural))
        {
            parts.Add(neural.ModelName);
        }

        if (all.Any(p => p.Source == PageSources.TextLayer))
        {
            parts.Add("pdf-text-layer");
        }

        if (all.Any(p => p.Source == PageSources.TextFile))
        {
            parts.Add("text-file");
        }

        return parts.Count == 0 ? $"tesseract {TesseractEngine.Version} ({language})" : string.Join(" + ", parts);
    }

    public Task<IDocument> OpenAsync(JobWork work, CancellationToken cancellationToken) =>
        DocumentOpener.OpenAsync(work.FilePath, work.Kind, work.Dpi, options, cancellationToken);

    /// <summary>The resume rule: the selected pages still to read, given the ones already done.</summary>
    public static IReadOnlyList<int> PagesToDo(IReadOnlyList<int> planned, IReadOnlySet<int> done) =>
        planned.Where(p => !done.Contains(p)).ToList();

    /// <summary>The pages still to read of a document of <paramref name="pageCount"/> pages.</summary>
    public static IReadOnlyList<int> PagesToDo(JobWork work, int pageCount, IReadOnlySet<int> done) =>
        PagesToDo(PageSelection.Resolve(work.PageSelection, pageCount), done);

    /// <summary>
    /// A job's whole run as one stream: opens the document, emits the plan (with the pages
    /// <paramref name="done"/> left out of those to read), then each page read, and closes the
    /// document however the stream ends.
    /// </summary>
    public Source<PageStreamEvent, NotUsed> Run(JobWork work, IReadOnlySet<int> done, CancellationToken cancellationToken) =>
        Source.Single(work)
            .SelectAsync(1, async w =>
            {
                var document = await OpenAsync(w, cancellationToken);
                if (cancellationToken.IsCancellationRequested)
                {
                    document.Dispose();
                    cancellationToken.ThrowIfCancellationRequested();
                }

                return document;
            })
            .ConcatMany(document =>
            {
                try
                {
                    var planned = PageSelection.Resolve(work.PageSelection, document.PageCount);
                    var toRead = PagesToDo(planned, done);
                    return Source.Single<PageStreamEvent>(new DocumentPlanned(document.PageCount, planned, toRead))
                        .Concat(Pages(document, toRead, work, cancellationToken).Select(PageStreamEvent (page) => new PageRead(page)))
                        .WatchTermination((_, ended) =>
                        {
                            ended.ContinueWith(_ => document.Dispose(), TaskScheduler.Default);
                            return NotUsed.Instance;
                        });
                }
                catch
                {
                    document.Dispose();
                    throw;
                }
            });

    public Source<PageModel, NotUsed> Pages(IDocument document, IEnumerable<int> pages, JobWork work, CancellationToken cancellationToken)
    {
        var request = new RecognitionRequest(work.Language, work.AutoRotate, work.Preprocess);
        var plan = _policy.PlanFor(work.Engine);
        var planned = pages.ToList();
        document.Plan(planned);
        return Source.From(planned)
            .SelectAsync(options.Prefetch, page => WithRetry(page, () => document.LoadPageAsync(page, cancellationToken), cancellationToken))
            // Pages leave as they are read, not in page order: a dense page holds up neither the
            // short pages after it nor the worker that read them (results are keyed by page).
            .SelectAsyncUnordered(ReadsInFlight, page => WithRetry(page.PageNumber, () => ReadAsync(page, request, plan, cancellationToken), cancellationToken));
    }

    private async Task<PageModel> ReadAsync(LoadedPage page, RecognitionRequest request, EnginePlan plan, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        switch (page)
        {
            case TextPage text:
                return new PageModel(text.PageNumber, text.Text, 1.0, text.Source, null, text.Width, text.Height, text.Dpi, 0, 0,
                    text.Blocks, null, Math.Round(clock.Elapsed.TotalSeconds, 3));
            case ImagePage image:
                try
                {
                    var (width, height) = (image.Image.Width, image.Image.Height);
                    int? dpi = image.Image.Resolution > 0 ? image.Image.Resolution : null;
                    var stages = new StageTimes();
                    var measured = stages.Time("measure", () => PageMeasure.Of(image.Image));
                    var (reading, escalated) = await plan.For(width, height, image.Image.Resolution).ReadAsync(image.Image, request, cancellationToken);
                    stages.AddAll(reading.Stages);
                    var quality = QualityRules.Judge(measured.Signals(reading, dpi));
                    return new PageModel(image.PageNumber, reading.Text.TrimEnd(), Math.Round(reading.Confidence, 4), PageSources.Ocr,
                        reading.Engine, width, height, dpi, reading.RotationApplied, Math.Round(reading.DeskewAngle, 2),
                        reading.Blocks, quality, Math.Round(clock.Elapsed.TotalSeconds, 3), escalated,
                        reading.Engine == OcrEngines.Neural && neural!.Provider.OnGpu) { Stages = stages.Seconds };
                }
                finally
                {
                    image.Dispose();
                    NativeHeap.PageDone();
                }

            default:
                throw new InvalidOperationException($"unknown page type {page.GetType().Name}");
        }
    }

    /// <summary>Retries transient page failures with doubling backoff; a page that keeps failing fails the job, naming the page.</summary>
    private async Task<T> WithRetry<T>(int pageNumber, Func<Task<T>> attempt, CancellationToken cancellationToken)
    {
        var delay = options.RetryBackoff;
        for (var tries = 1; ; tries++)
        {
            try
            {
                return await attempt();
            }
            catch (OcrPageException e) when (e.Transient && tries < options.PageAttempts)
            {
                await Task.Delay(delay, cancellationToken);
                delay *= 2;
            }
            catch (OcrPageException e)
            {
                throw new OcrDocumentException($"page {pageNumber} failed: {e.Message}", e);
            }
        }
    }
}
