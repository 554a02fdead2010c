using OpenCvSharp;
using Ocr.Pipeline.Imaging;

namespace Ocr.Pipeline.Engines;

/// <summary>How much preprocessing a page gets (OCR_PREPROCESS).</summary>
public enum PreprocessMode
{
    /// <summary>Deskew, then read; a page that comes back weak is read again with other recipes and the best reading kept.</summary>
    Auto,

    /// <summary>The page as it came (orientation still applies when asked).</summary>
    None,

    /// <summary>Every filter on every page: gray, denoise, contrast recovery, adaptive threshold, upscaling.</summary>
    Full,
}

/// <summary>Image recipes built from the OpenCV filters; each reads a copy, the page itself stays as it came.</summary>
public static class PageRecipes
{
    public const string Plain = "plain";
    public const string Contrast = "contrast";
    public const string Binary = "binary";
    public const string Upscale = "upscale";
    public const string Full = "full";

    /// <summary>Pages this short (in pixels) carry text too small for Tesseract and are upscaled by Full.</summary>
    private const int SmallPageHeight = 1400;

    /// <summary>A new image with <paramref name="recipe"/> applied; the caller disposes it.</summary>
    public static PageImage Apply(PageImage source, string recipe)
    {
        if (recipe == Plain)
        {
            return source.Copy();
        }

        var resolution = Math.Max(source.Resolution, 70);
        using var gray = PixelBridge.ToGray(source);
        Mat result;
        switch (recipe)
        {
            case Contrast:
                result = PageFilters.RecoverContrast(gray);
                break;
            case Binary:
            {
                using var recovered = PageFilters.RecoverContrast(gray);
                result = PageFilters.Threshold(recovered);
                break;
            }

            case Upscale:
                result = PageFilters.Upscale(gray);
                resolution *= 2;
                break;
            case Full:
            {
                using var clean = PageFilters.Denoise(gray);
                using var recovered = PageFilters.RecoverContrast(clean);
                if (recovered.Height < SmallPageHeight)
                {
                    using var larger = PageFilters.Upscale(recovered);
                    resolution *= 2;
                    result = PageFilters.Threshold(larger);
                }
                else
                {
                    result = PageFilters.Threshold(recovered);
                }

                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(recipe), recipe, "unknown recipe");
        }

        using (result)
        {
            return PixelBridge.ToPage(result, resolution);
        }
    }
}
