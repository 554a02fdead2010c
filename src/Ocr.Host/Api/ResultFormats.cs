using Ocr.Actors.Jobs;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Rendering;

namespace Ocr.Host.Api;

/// <summary>Answers a result in the format asked for (SPEC.md "Result formats").</summary>
public static class ResultFormats
{
    public static string Known => string.Join(", ", ResultFormat.All.Select(f => f.Name));

    public static async Task<IResult> RespondAsync(ResultFormat format, JobResult result, bool partial, PipelineOptions options, CancellationToken cancellationToken)
    {
        if (format == ResultFormat.Json)
        {
            return TypedResults.Json(JobResultView.From(result));
        }

        var document = new ResultDocument(result.JobId, result.ExtractedText, result.ModelUsed, result.Pages);
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

            try
            {
                if (!await SearchablePdfBuilder.EnsureAsync(result.UploadPath, result.Kind, result.Pages, options, cancellationToken))
                {
                    return ErrorResults.Problem(409, "no pdf for this job: its upload was removed before the searchable PDF was made from it");
                }
            }
            catch (OcrDocumentException e)
            {
                return ErrorResults.Problem(409, $"no pdf for this job: {e.Message}");
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
