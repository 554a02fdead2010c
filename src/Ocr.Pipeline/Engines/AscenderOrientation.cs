using Ocr.Pipeline.Native;

namespace Ocr.Pipeline.Engines;

/// <summary>
/// Leptonica's orientation test for Latin text: counts of ascenders against descenders, on the
/// page and on the page turned a quarter, tell up from down and upright from sideways. About
/// 10 ms a page where Tesseract's orientation detection takes about 200 ms; it answers only
/// when the counts are clearly one-sided, and says nothing otherwise.
/// </summary>
internal static class AscenderOrientation
{
    // Leptonica's text orientations (flipdetect.c).
    private const int TextUp = 1;
    private const int TextLeft = 2;
    private const int TextDown = 3;
    private const int TextRight = 4;

    private const int InkThreshold = 128;

    /// <summary>
    /// The page's rotation in Tesseract's terms (degrees clockwise that the text was turned:
    /// 0, 90, 180 or 270), or null when the counts do not settle it.
    /// </summary>
    public static int? Detect(PageImage page)
    {
        var gray = LeptonicaApi.pixConvertTo8(page.Handle, 0);
        if (gray == IntPtr.Zero)
        {
            return null;
        }

        var binary = LeptonicaApi.pixConvertTo1(gray, InkThreshold);
        LeptonicaApi.pixDestroy(ref gray);
        if (binary == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            // Zero minimum count and thresholds: Leptonica's defaults (at least 8 for the
            // stronger confidence, and 2.5 times the weaker one).
            if (LeptonicaApi.pixOrientDetect(binary, out var up, out var left, 0, 0) != 0 ||
                LeptonicaApi.makeOrientDecision(up, left, 0, 0, out var orientation, 0) != 0)
            {
                return null;
            }

            return orientation switch
            {
                TextUp => 0,
                TextRight => 90,
                TextDown => 180,
                TextLeft => 270,
                _ => null,
            };
        }
        finally
        {
            LeptonicaApi.pixDestroy(ref binary);
        }
    }
}
