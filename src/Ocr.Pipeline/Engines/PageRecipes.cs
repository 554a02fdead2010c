using Ocr.Pipeline.Native;

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

/// <summary>
/// Image recipes built on Leptonica, which is already loaded with libtesseract (so no second
/// copy of libpng/libjpeg enters the process, the crash NOTES.md describes for OpenCV).
/// </summary>
public static class PageRecipes
{
    public const string Plain = "plain";
    public const string Contrast = "contrast";
    public const string Binary = "binary";
    public const string Upscale = "upscale";
    public const string Full = "full";

    /// <summary>Pages whose text is this small (pixels of page height per line of a letter page) are upscaled.</summary>
    private const int SmallPageHeight = 1400;

    /// <summary>A new image with <paramref name="recipe"/> applied; the caller disposes it.</summary>
    public static PageImage Apply(PageImage source, string recipe)
    {
        var image = source.Copy();
        var resolution = source.Resolution;
        try
        {
            switch (recipe)
            {
                case Plain:
                    break;
                case Contrast:
                    Gray(image);
                    image.Replace(pix => LeptonicaApi.pixBackgroundNormSimple(pix, IntPtr.Zero, IntPtr.Zero));
                    image.Replace(pix => LeptonicaApi.pixContrastNorm(IntPtr.Zero, pix, 50, 50, 40, 2, 2));
                    break;
                case Binary:
                    Gray(image);
                    image.Replace(pix => LeptonicaApi.pixBackgroundNormSimple(pix, IntPtr.Zero, IntPtr.Zero));
                    Binarize(image);
                    break;
                case Upscale:
                    Gray(image);
                    image.Replace(pix => LeptonicaApi.pixScale(pix, 2f, 2f));
                    resolution *= 2;
                    break;
                case Full:
                    Gray(image);
                    image.Replace(pix => LeptonicaApi.pixMedianFilter(pix, 3, 3));
                    image.Replace(pix => LeptonicaApi.pixBackgroundNormSimple(pix, IntPtr.Zero, IntPtr.Zero));
                    image.Replace(pix => LeptonicaApi.pixContrastNorm(IntPtr.Zero, pix, 50, 50, 40, 2, 2));
                    if (image.Height < SmallPageHeight)
                    {
                        image.Replace(pix => LeptonicaApi.pixScale(pix, 2f, 2f));
                        resolution *= 2;
                    }

                    Binarize(image);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(recipe), recipe, "unknown recipe");
            }

            image.SetResolution(Math.Max(resolution, 70));
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    private static void Gray(PageImage image)
    {
        if (image.Depth != 8)
        {
            image.Replace(pix => LeptonicaApi.pixConvertTo8(pix, 0));
        }
    }

    private static void Binarize(PageImage image) => image.Replace(pix =>
        LeptonicaApi.pixSauvolaBinarizeTiled(pix, 25, 0.35f, 1, 1, IntPtr.Zero, out var binary) == 0 ? binary : IntPtr.Zero);
}
