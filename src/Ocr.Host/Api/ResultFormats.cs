using Ocr.Actors.Jobs;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Rendering;

namespace Ocr.Host.Api;

/// <summary>Answers a result in the format asked for (SPEC.md "Result formats").</summary>
public static class ResultFormats
{
    // The page image a browser draws word boxes on: the longer side at most this many pixels.
    private const int PageImageSide = 1600;

    /// <summary>Page <paramref name="pageNumber"/> of the job's searchable PDF as a PNG (its image with nothing drawn on it).</summary>
    public static async Task<IResult> PageImageAsync(JobResult result, int pageNumber, PipelineOptions options, CancellationToken cancellationToken)
    {
        var index = result.Pages.Select((page, i) => (page, i)).FirstOrDefault(p => p.page.PageNumber == pageNumber) is { page: not null } found ? found.i : -1;
        if (index < 0)
        {
            return ErrorResults.Problem(404, $"the job has no page {pageNumber}");
        }

        if (await SearchablePdfRefusalAsync(result, options, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        var root = Path.Combine(Path.GetTempPath(), $"akkaocr-page-{Guid.NewGuid():N}");
        try
        {
            var page = (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var render = await ProcessRunner.RunAsync("pdftoppm",
                ["-png", "-scale-to", PageImageSide.ToString(System.Globalization.CultureInfo.InvariantCulture), "-f", page, "-l", page, "-singlefile",
                 SearchablePdfBuilder.ArtifactPathFor(result.UploadPath), root], cancellationToken);
            return render.ExitCode == 0 && File.Exists(root + ".png")
                ? TypedResults.Bytes(await File.ReadAllBytesAsync(root + ".png", cancellationToken), "image/png")
                : ErrorResults.Problem(500, $"page {pageNumber} could not be drawn ({PdfDocument.FirstLine(render.StandardError)})");
        }
        finally
        {
            File.Delete(root + ".png");
        }
    }

    public static string Known => string.Join(", ", ResultFormat.All.Select(f => f.Name));

    /// <summary>Makes the job's searchable PDF unless it exists; the 409 to answer when it cannot be had, else null.</summary>
    private static async Task<IResult?> SearchablePdfRefusalAsync(JobResult result, PipelineOptions options, CancellationToken cancellationToken)
    {
        if (result.ToDocument().WhyNoGeometry() is { } why)
        {
            return ErrorResults.Problem(409, $"no pdf for this job: {why}");
        }

        try
        {
            return await SearchablePdfBuilder.EnsureAsync(result.UploadPath, result.Kind, result.Pages, options, cancellationToken)
                ? null
                : ErrorResults.Problem(409, "no pdf for this job: its upload was removed before the searchable PDF was made from it");
        }
        catch (OcrDocumentException e)
        {
            return ErrorResults.Problem(409, $"no pdf for this job: {e.Message}");
        }
    }

    public static async Task<IResult> RespondAsync(ResultFormat format, JobResult result, bool partial, PipelineOptions options, CancellationToken cancellationToken)
    {
        if (format == ResultFormat.Json)
        {
            return TypedResults.Json(JobResultView.From(result));
        }

        var document = result.ToDocument();
        if (format.NeedsGeometry && document.WhyNoGeometry() is { } why)
        {
            return ErrorResults.Problem(409, $"no {format.Name} for this job: {why}");
        }

        if (format == ResultFormat.Pdf)
        {
            if (partial)
            {
                return ErrorResults.Problem(400, "a searchable PDF is made of the whole job; partial results come as json, txt, hocr, alto or md");
            }

            if (await SearchablePdfRefusalAsync(result, options, cancellationToken) is { } refusal)
            {
                return refusal;
            }

            return TypedResults.PhysicalFile(SearchablePdfBuilder.ArtifactPathFor(result.UploadPath), format.MediaType, $"{result.JobId}.pdf");
        }

        var body = format.Name switch
        {
            "txt" => result.ExtractedText,
            "hocr" => HocrRenderer.Render(document),
            "alto" => AltoRenderer.Render(document),
            "md" => MarkdownRenderer.Render(document),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format.Name, "no renderer"),
        };
        return TypedResults.Text(body, format.MediaType);
    }
}
