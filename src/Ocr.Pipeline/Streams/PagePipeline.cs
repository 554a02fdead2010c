using System.Diagnostics;
using Akka;
using Akka.Streams.Dsl;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;

namespace Ocr.Pipeline.Streams;

/// <summary>
/// Builds each job's page graph: page numbers → load/rasterize (a few pages ahead) →
/// the node's shared, bounded Tesseract pool → page results in page order.
/// </summary>
public sealed class PagePipeline(TesseractPool pool, PipelineOptions options)
{
    public PipelineOptions Options => options;

    public TesseractPool Pool => pool;

    /// <summary>Names what produced the pages: the OCR engine with version and language, or the text source.</summary>
    public string ModelUsedFor(IEnumerable<PageResult> pages, string language = "eng")
    {
        var sources = pages.Select(p => p.Source).Distinct().ToList();
        var parts = new List<string>();
        if (sources.Contains(PageSources.Ocr))
        {
            parts.Add($"tesseract {TesseractEngine.Version} ({language})");
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

    /// <summary>The pages still to do, given the ones already done (a resumed job skips those).</summary>
    public static IReadOnlyList<int> PagesToDo(JobWork work, int pageCount, IReadOnlySet<int> done) =>
        PageSelection.Resolve(work.PageSelection, pageCount).Where(p => !done.Contains(p)).ToList();

    public Source<PageResult, NotUsed> Pages(IDocument document, IEnumerable<int> pages, JobWork work, CancellationToken cancellationToken)
    {
        var request = new RecognitionRequest(work.Language, work.AutoRotate, work.Preprocess);
        return Source.From(pages)
            .SelectAsync(options.Prefetch, page => WithRetry(page, () => document.LoadPageAsync(page, cancellationToken), cancellationToken))
            .SelectAsync(pool.Size, page => WithRetry(page.PageNumber, () => ReadAsync(page, request, cancellationToken), cancellationToken));
    }

    private async Task<PageResult> ReadAsync(LoadedPage page, RecognitionRequest request, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        switch (page)
        {
            case TextPage text:
                return new PageResult(text.PageNumber, text.Text, 1.0, text.Source, text.Width, text.Height, clock.Elapsed.TotalSeconds, 0, 0);
            case ImagePage image:
                using (image)
                {
                    var width = image.Image.Width;
                    var height = image.Image.Height;
                    var reading = await pool.RecognizeAsync(image.Image, request, cancellationToken);
                    return new PageResult(image.PageNumber, reading.Text.TrimEnd(), Math.Round(reading.Confidence, 4), PageSources.Ocr,
                        width, height, Math.Round(clock.Elapsed.TotalSeconds, 3), reading.RotationApplied, Math.Round(reading.DeskewAngle, 2));
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
