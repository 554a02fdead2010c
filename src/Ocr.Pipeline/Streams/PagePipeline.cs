using System.Diagnostics;
using Akka;
using Akka.Streams.Dsl;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Native;
using Ocr.Pipeline.Neural;

namespace Ocr.Pipeline.Streams;

/// <summary>
/// Builds each job's page graph: page numbers → load/rasterize (a few pages ahead) → the
/// node's shared inference stages (the Tesseract pool; the neural engine's batching stage) →
/// page results in page order.
/// </summary>
public sealed class PagePipeline(TesseractPool pool, PipelineOptions options, NeuralEngine? neural = null)
{
    public PipelineOptions Options => options;

    public TesseractPool Pool => pool;

    public NeuralEngine? Neural => neural;

    /// <summary>The engine `engine=auto` starts with: neural on a usable GPU, else the configured CPU default.</summary>
    public string AutoEngine => ChooseAutoEngine(neural is not null, neural?.Provider.OnGpu ?? false, options.CpuEngine);

    public static string ChooseAutoEngine(bool neuralInstalled, bool neuralOnGpu, string cpuEngine) =>
        !neuralInstalled ? OcrEngines.Tesseract
        : neuralOnGpu ? OcrEngines.Neural
        : cpuEngine;

    /// <summary>Names what produced the pages: the OCR engines with version and language, or the text source.</summary>
    public string ModelUsedFor(IEnumerable<PageResult> pages, string language = "eng")
    {
        var all = pages.ToList();
        var sources = all.Select(p => p.Source).Distinct().ToList();
        var parts = new List<string>();
        if (all.Any(p => p.Source == PageSources.Ocr && p.Engine is null or OcrEngines.Tesseract))
        {
            parts.Add($"tesseract {TesseractEngine.Version} ({language})");
        }

        if (neural is not null && all.Any(p => p.Source == PageSources.Ocr && p.Engine == OcrEngines.Neural))
        {
            parts.Add(neural.ModelName);
        }

        if (sources.Contains(PageSources.TextLayer))
        {
            parts.Add("pdf-text-layer");
        }

        if (sources.Contains(PageSources.TextFile))
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

    public Source<PageResult, NotUsed> Pages(IDocument document, IEnumerable<int> pages, JobWork work, CancellationToken cancellationToken)
    {
        var request = new RecognitionRequest(work.Language, work.AutoRotate, work.Preprocess);
        var engine = ResolveEngine(work.Engine);
        var escalate = work.Engine == OcrEngines.Auto && neural is not null && options.EscalateBelow > 0;
        var planned = pages.ToList();
        document.Plan(planned);
        return Source.From(planned)
            .SelectAsync(options.Prefetch, page => WithRetry(page, () => document.LoadPageAsync(page, cancellationToken), cancellationToken))
            .SelectAsync(pool.Size, page => WithRetry(page.PageNumber, () => ReadAsync(page, request, engine, escalate, cancellationToken), cancellationToken));
    }

    /// <summary>The engine a job's pages start with.</summary>
    public string ResolveEngine(string requested) => requested switch
    {
        OcrEngines.Neural when neural is null => throw new OcrDocumentException("the neural engine is not installed"),
        OcrEngines.Neural => OcrEngines.Neural,
        OcrEngines.Tesseract => OcrEngines.Tesseract,
        _ => AutoEngine,
    };

    private async Task<PageRecognition> RecognizeWith(string engine, PageImage image, RecognitionRequest request, CancellationToken cancellationToken)
    {
        if (engine == OcrEngines.Neural)
        {
            return await neural!.RecognizeAsync(image, request, cancellationToken);
        }

        var reading = await pool.RecognizeAsync(image, request, cancellationToken);
        return reading with { Confidence = options.TesseractCalibration.Apply(reading.Confidence) };
    }

    /// <summary>Reads a page; a weak reading is read again by the other engine and the better one kept.</summary>
    private async Task<(PageRecognition Reading, bool Escalated)> RecognizeAsync(
        PageImage image, RecognitionRequest request, string engine, bool escalate, CancellationToken cancellationToken)
    {
        var first = await RecognizeWith(engine, image, request, cancellationToken);
        if (!escalate || first.Confidence >= options.EscalateBelow)
        {
            return (first, false);
        }

        // The image is already deskewed and upright: the second engine reads it as it stands.
        var other = engine == OcrEngines.Neural ? OcrEngines.Tesseract : OcrEngines.Neural;
        PageRecognition second;
        try
        {
            second = await RecognizeWith(other, image, request, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A second opinion that fails leaves the first reading standing.
            return (first with { Recipe = $"{first.Recipe}; escalation to {other} failed: {e.Message}" }, false);
        }

        var combined = second with
        {
            RotationApplied = (first.RotationApplied + second.RotationApplied) % 360,
            DeskewAngle = first.DeskewAngle + second.DeskewAngle,
        };
        return (Better(first, combined), true);
    }

    /// <summary>The engines' two readings judged by the same rule as a Tesseract page's recipes.</summary>
    internal static PageRecognition Better(PageRecognition first, PageRecognition second) =>
        ReadingChoice.MostConfident([first, second], r => r.Text.Count(char.IsLetterOrDigit), r => r.Confidence);

    private async Task<PageResult> ReadAsync(LoadedPage page, RecognitionRequest request, string engine, bool escalate, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        switch (page)
        {
            case TextPage text:
                return new PageResult(text.PageNumber, text.Text, 1.0, text.Source, text.Width, text.Height, clock.Elapsed.TotalSeconds, 0, 0);
            case ImagePage image:
                try
                {
                    var width = image.Image.Width;
                    var height = image.Image.Height;
                    var (reading, escalated) = await RecognizeAsync(image.Image, request, engine, escalate, cancellationToken);
                    return new PageResult(image.PageNumber, reading.Text.TrimEnd(), Math.Round(reading.Confidence, 4), PageSources.Ocr,
                        width, height, Math.Round(clock.Elapsed.TotalSeconds, 3), reading.RotationApplied, Math.Round(reading.DeskewAngle, 2),
                        reading.Engine, escalated, reading.Engine == OcrEngines.Neural && neural!.Provider.OnGpu, reading.Lines);
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
