using OpenCvSharp;
using Ocr.Pipeline.Native;

namespace Ocr.Pipeline.Neural;

/// <summary>Copies Leptonica pages into OpenCV matrices (8-bit gray) without any image codec.</summary>
internal static class PixelBridge
{
    public static Mat ToGray(PageImage image)
    {
        var gray = LeptonicaApi.pixConvertTo8(image.Handle, 0);
        if (gray == IntPtr.Zero)
        {
            throw new OcrPageException("the page could not be converted to gray levels");
        }

        try
        {
            var width = LeptonicaApi.pixGetWidth(gray);
            var height = LeptonicaApi.pixGetHeight(gray);
            var wordsPerLine = LeptonicaApi.pixGetWpl(gray);
            var data = LeptonicaApi.pixGetData(gray);
            var mat = new Mat(height, width, MatType.CV_8UC1);
            unsafe
            {
                var source = (byte*)data;
                var target = (byte*)mat.Data;
                var step = (int)mat.Step();
                for (var y = 0; y < height; y++)
                {
                    var row = source + (long)y * wordsPerLine * 4;
                    var output = target + (long)y * step;
                    // Leptonica keeps pixels in 32-bit words, most significant byte first:
                    // on a little-endian machine pixel x sits at byte x ^ 3.
                    for (var x = 0; x < width; x++)
                    {
                        output[x] = row[x ^ 3];
                    }
                }
            }

            return mat;
        }
        finally
        {
            LeptonicaApi.pixDestroy(ref gray);
        }
    }
}
