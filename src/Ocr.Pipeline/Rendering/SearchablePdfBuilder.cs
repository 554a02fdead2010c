using System.Globalization;
using OpenCvSharp;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Imaging;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Rendering;

/// <summary>
/// Makes a job's searchable PDF from its upload: an image upload's pages become PDF pages with
/// their images (a JPEG as it came; other images losslessly) under the text layer; a PDF
/// upload keeps its own pages, the job's pages selected with qpdf and the text layer overlaid
/// on the pages that were read by OCR (text-layer pages stay as they were).
/// </summary>
public static class SearchablePdfBuilder
{
    /// <summary>Where a job's searchable PDF is kept: beside its upload, so every node that sees the upload sees it.</summary>
    public static string ArtifactPathFor(string uploadPath) => Path.ChangeExtension(uploadPath, ".searchable.pdf");

    /// <summary>Builds the artifact unless it exists; false when neither it nor the upload is there.</summary>
    public static async Task<bool> EnsureAsync(string uploadPath, DocumentKind kind, IReadOnlyList<PageModel> pages, PipelineOptions options, CancellationToken cancellationToken)
    {
        var artifact = ArtifactPathFor(uploadPath);
        if (File.Exists(artifact))
        {
            return true;
        }

        if (!File.Exists(uploadPath))
        {
            return false;
        }

        await BuildAsync(uploadPath, kind, pages, options, artifact, cancellationToken);
        return true;
    }

    public static async Task BuildAsync(string uploadPath, DocumentKind kind, IReadOnlyList<PageModel> pages, PipelineOptions options, string outputPath, CancellationToken cancellationToken)
    {
        var partial = $"{outputPath}.{Guid.NewGuid():N}.part";
        try
        {
            switch (kind)
            {
                case DocumentKind.Pdf:
                    await OverlayPdfAsync(uploadPath, pages, partial, cancellationToken);
                    break;
                case DocumentKind.Image or DocumentKind.Tiff:
                    await File.WriteAllBytesAsync(partial, await ImagePdfAsync(uploadPath, kind, pages, options, cancellationToken), cancellationToken);
                    break;
                default:
                    throw new OcrDocumentException("a text upload has no page images to make a PDF from");
            }

            File.Move(partial, outputPath, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static async Task<byte[]> ImagePdfAsync(string uploadPath, DocumentKind kind, IReadOnlyList<PageModel> pages, PipelineOptions options, CancellationToken cancellationToken)
    {
        using var document = await DocumentOpener.OpenAsync(uploadPath, kind, null, options, cancellationToken);
        var images = new Dictionary<int, PdfImage>();
        foreach (var page in pages)
        {
            using var loaded = await document.LoadPageAsync(page.PageNumber, cancellationToken);
            if (loaded is ImagePage image)
            {
                images[page.PageNumber] = Encode(image.Image, uploadPath, kind, document.PageCount);
            }
        }

        return SearchablePdfWriter.Render(pages, page => images.GetValueOrDefault(page.PageNumber));
    }

    private static PdfImage Encode(PageImage image, string uploadPath, DocumentKind kind, int pageCount)
    {
        // Colour pages come out of Leptonica as BGR, every other depth as gray (PixelBridge.ToMat).
        var components = image.Depth == 32 ? 3 : 1;
        if (kind == DocumentKind.Image && pageCount == 1 && File.ReadAllBytes(uploadPath) is [0xFF, 0xD8, ..] jpeg && ExifOrientation.ClockwiseDegrees(jpeg) == 0)
        {
            // The scan as it came: no second lossy encoding.
            return new PdfImage(jpeg, true, image.Width, image.Height, components);
        }

        using var mat = PixelBridge.ToMat(image);
        using var rgb = components == 3 ? mat.CvtColor(ColorConversionCodes.BGR2RGB) : mat.Clone();
        var (width, height) = (rgb.Width, rgb.Height);
        var rowBytes = width * components;
        var pixels = new byte[rowBytes * height];
        for (var y = 0; y < height; y++)
        {
            System.Runtime.InteropServices.Marshal.Copy(rgb.Ptr(y), pixels, y * rowBytes, rowBytes);
        }

        return new PdfImage(SearchablePdfWriter.Deflate(pixels), false, width, height, components);
    }

    private static async Task OverlayPdfAsync(string uploadPath, IReadOnlyList<PageModel> pages, string outputPath, CancellationToken cancellationToken)
    {
        var selected = Path.ChangeExtension(outputPath, ".pages.pdf");
        var layer = Path.ChangeExtension(outputPath, ".layer.pdf");
        try
        {
            var numbers = string.Join(',', pages.Select(p => p.PageNumber.ToString(CultureInfo.InvariantCulture)));
            await RunQpdf(["--empty", "--pages", uploadPath, numbers, "--", selected], cancellationToken);
            var read = pages.Select((page, index) => (page, index)).Where(p => p.page.Source == PageSources.Ocr).Select(p => (p.index + 1).ToString(CultureInfo.InvariantCulture)).ToList();
            if (read.Count == 0)
            {
                File.Move(selected, outputPath, overwrite: true);
                return;
            }

            await File.WriteAllBytesAsync(layer, SearchablePdfWriter.Render(pages, _ => null, page => page.Source == PageSources.Ocr), cancellationToken);
            var range = string.Join(',', read);
            await RunQpdf([selected, "--overlay", layer, $"--to={range}", $"--from={range}", "--", outputPath], cancellationToken);
        }
        finally
        {
            File.Delete(selected);
            File.Delete(layer);
        }
    }

    private static async Task RunQpdf(string[] arguments, CancellationToken cancellationToken)
    {
        ProcessRunner.Outcome run;
        try
        {
            run = await ProcessRunner.RunAsync("qpdf", arguments, cancellationToken);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new OcrDocumentException("qpdf, which lays the text on a PDF upload's own pages, is not installed on this node");
        }

        // qpdf's 3 is "succeeded with warnings" (a damaged but readable input).
        if (run.ExitCode is not (0 or 3))
        {
            throw new OcrDocumentException($"qpdf could not assemble the PDF ({PdfDocument.FirstLine(run.StandardError)})");
        }
    }
}
