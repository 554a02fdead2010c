using OpenCvSharp;
using Ocr.Pipeline.Native;

namespace Ocr.Pipeline.Imaging;

/// <summary>
/// Copies pages between Leptonica images (what Tesseract reads) and OpenCV matrices (what the
/// filters and the neural engine work on), pixel by pixel, without any image codec.
/// </summary>
internal static class PixelBridge
{
    static PixelBridge()
    {
        // OpenCV's bundled libpng must never load before libtesseract's (NOTES.md); every OpenCV use passes here first.
        NativeLibraries.EnsureLoaded();
        // Pages are already read in parallel, one per engine thread and one engine per core:
        // OpenCV's own worker threads would only compete with the engines (and spin while idle).
        Cv2.SetNumThreads(1);
    }

    /// <summary>8-bit gray copy of the page.</summary>
    public static Mat ToGray(PageImage image)
    {
        if (image.Depth == 8 && LeptonicaApi.pixGetColormap(image.Handle) == IntPtr.Zero)
        {
            return CopyOut(image.Handle, MatType.CV_8UC1);
        }

        var gray = LeptonicaApi.pixConvertTo8(image.Handle, 0);
        if (gray == IntPtr.Zero)
        {
            throw new OcrPageException("the page could not be converted to gray levels");
        }

        try
        {
            return CopyOut(gray, MatType.CV_8UC1);
        }
        finally
        {
            LeptonicaApi.pixDestroy(ref gray);
        }
    }

    /// <summary>A copy that keeps colour: BGR for 32-bit pages, gray for everything else.</summary>
    public static Mat ToMat(PageImage image) =>
        image.Depth == 32 ? CopyOut(image.Handle, MatType.CV_8UC3) : ToGray(image);

    /// <summary>A Leptonica page holding <paramref name="mat"/>'s pixels (8-bit gray or BGR).</summary>
    public static PageImage ToPage(Mat mat, int resolution)
    {
        var channels = mat.Channels();
        if (mat.Depth() != MatType.CV_8U || channels is not (1 or 3))
        {
            throw new ArgumentException($"only 8-bit gray or BGR images cross to Leptonica, not {mat.Type()}", nameof(mat));
        }

        var width = mat.Width;
        var height = mat.Height;
        var pix = LeptonicaApi.pixCreate(width, height, channels == 1 ? 8 : 32);
        if (pix == IntPtr.Zero)
        {
            throw new OcrPageException("out of memory for the page image");
        }

        var page = new PageImage(pix);
        page.SetResolution(resolution);
        unsafe
        {
            var target = (byte*)LeptonicaApi.pixGetData(pix);
            var rowBytes = LeptonicaApi.pixGetWpl(pix) * 4;
            var source = (byte*)mat.Data;
            var step = (int)mat.Step();
            for (var y = 0; y < height; y++)
            {
                var input = source + (long)y * step;
                var output = target + (long)y * rowBytes;
                if (channels == 1)
                {
                    LeptonicaRows.CopyIn(input, output, width);
                }
                else
                {
                    for (var x = 0; x < width; x++)
                    {
                        // One 32-bit word per pixel, red in the top byte: in memory alpha, blue, green, red.
                        var pixel = output + x * 4;
                        pixel[0] = 255;
                        pixel[1] = input[x * 3];
                        pixel[2] = input[x * 3 + 1];
                        pixel[3] = input[x * 3 + 2];
                    }
                }
            }
        }

        return page;
    }

    private static Mat CopyOut(IntPtr pix, MatType type)
    {
        var width = LeptonicaApi.pixGetWidth(pix);
        var height = LeptonicaApi.pixGetHeight(pix);
        var rowBytes = LeptonicaApi.pixGetWpl(pix) * 4;
        var mat = new Mat(height, width, type);
        unsafe
        {
            var source = (byte*)LeptonicaApi.pixGetData(pix);
            var target = (byte*)mat.Data;
            var step = (int)mat.Step();
            for (var y = 0; y < height; y++)
            {
                var input = source + (long)y * rowBytes;
                var output = target + (long)y * step;
                if (type == MatType.CV_8UC1)
                {
                    LeptonicaRows.CopyOut(input, output, width);
                }
                else
                {
                    for (var x = 0; x < width; x++)
                    {
                        var pixel = input + x * 4;
                        output[x * 3] = pixel[1];
                        output[x * 3 + 1] = pixel[2];
                        output[x * 3 + 2] = pixel[3];
                    }
                }
            }
        }

        return mat;
    }
}
