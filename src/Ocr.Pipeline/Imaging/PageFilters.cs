using OpenCvSharp;

namespace Ocr.Pipeline.Imaging;

/// <summary>OpenCV filters the preprocessing recipes are made of. Each returns a new matrix the caller owns.</summary>
internal static class PageFilters
{
    /// <summary>Salt-and-pepper and scanner speckle out, letter edges kept (3×3 median).</summary>
    public static Mat Denoise(Mat gray)
    {
        var clean = new Mat();
        Cv2.MedianBlur(gray, clean, 3);
        return clean;
    }

    /// <summary>
    /// Contrast recovery for faded prints and uneven lighting: the page is divided by its paper
    /// (ink removed by a wide maximum filter at reduced size), then stretched so the darkest ink is black.
    /// </summary>
    public static Mat RecoverContrast(Mat gray)
    {
        const int paperSide = 400;
        var scale = Math.Min(1.0, (double)paperSide / Math.Max(gray.Width, gray.Height));
        using var small = new Mat();
        Cv2.Resize(gray, small, new Size(), scale, scale, InterpolationFlags.Area);
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(9, 9));
        using var paperSmall = new Mat();
        Cv2.Dilate(small, paperSmall, kernel);
        Cv2.MedianBlur(paperSmall, paperSmall, 5);
        using var paper = new Mat();
        Cv2.Resize(paperSmall, paper, gray.Size(), 0, 0, InterpolationFlags.Linear);

        var flattened = new Mat();
        Cv2.Divide(gray, paper, flattened, 255);
        // Stretch: the darkest 1 % of pixels become black, paper stays white.
        var darkest = Percentile(flattened, 0.01);
        if (darkest < 200)
        {
            // ConvertTo saturates below zero (ConvertScaleAbs would mirror the darkest ink back to white).
            flattened.ConvertTo(flattened, MatType.CV_8UC1, 255.0 / (255 - darkest), -255.0 * darkest / (255 - darkest));
        }

        return flattened;
    }

    /// <summary>
    /// Black text on white. Meant for a page whose paper <see cref="RecoverContrast"/> has already
    /// levelled: the threshold then follows the local paper, and Otsu's single cut between paper
    /// and ink beats a windowed threshold, which turns JPEG noise on blank paper into specks
    /// (measured on the eval receipts: Gaussian-window and Sauvola lost 2–8× more letters).
    /// </summary>
    public static Mat Threshold(Mat levelled)
    {
        var binary = new Mat();
        Cv2.Threshold(levelled, binary, 0, 255, ThresholdTypes.Binary | ThresholdTypes.Otsu);
        return binary;
    }

    /// <summary>Twice the size, bicubic: Tesseract reads best with capitals 20–30 px high.</summary>
    public static Mat Upscale(Mat gray)
    {
        var larger = new Mat();
        Cv2.Resize(gray, larger, new Size(), 2, 2, InterpolationFlags.Cubic);
        return larger;
    }

    /// <summary>The page turned <paramref name="degrees"/> counter-clockwise about its centre, same size, white where nothing was.</summary>
    public static Mat Rotate(Mat page, double degrees)
    {
        using var rotation = Cv2.GetRotationMatrix2D(new Point2f(page.Width / 2f, page.Height / 2f), degrees, 1);
        var turned = new Mat();
        Cv2.WarpAffine(page, turned, rotation, page.Size(), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.White);
        return turned;
    }

    internal static int Percentile(Mat gray, double share) => Percentile(GrayHistogram(gray), share);

    /// <summary>How many pixels of an 8-bit gray image have each of the 256 levels.</summary>
    internal static double[] GrayHistogram(Mat gray)
    {
        using var histogram = new Mat();
        Cv2.CalcHist([gray], [0], null, histogram, 1, [256], [new Rangef(0, 256)]);
        var counts = new double[256];
        for (var level = 0; level < 256; level++)
        {
            counts[level] = histogram.At<float>(level);
        }

        return counts;
    }

    /// <summary>The darkest level at or below which <paramref name="share"/> of the pixels lie.</summary>
    internal static int Percentile(IReadOnlyList<double> counts, double share)
    {
        var target = counts.Sum() * share;
        double seen = 0;
        for (var level = 0; level < counts.Count; level++)
        {
            seen += counts[level];
            if (seen >= target)
            {
                return level;
            }
        }

        return counts.Count - 1;
    }
}
