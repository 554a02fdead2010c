using System.Runtime.CompilerServices;
using OpenCvSharp;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;

// A process in the order that used to kill one: something of Ocr.Pipeline first (no native
// call of its own), then OpenCvSharp, then Leptonica's PNG reader and Tesseract. It lives only
// when Ocr.Pipeline has loaded libtesseract before OpenCvSharp could (its module initializer).
// usage: dotnet Ocr.LoadOrderProbe.dll PNG
var png = args.Length == 1 ? args[0] : throw new ArgumentException("usage: Ocr.LoadOrderProbe PNG");
var limit = new PipelineOptions().MaxPagePixels;
using (var opencv = Cv2.ImRead(png, ImreadModes.Grayscale))
{
    Console.WriteLine($"OpenCV read {opencv.Width}x{opencv.Height}");
}

await ReadWithLeptonicaAndTesseract(png, limit);
return 0;

[MethodImpl(MethodImplOptions.NoInlining)]
static async Task ReadWithLeptonicaAndTesseract(string png, long limit)
{
    using var document = await ImageDocument.OpenAsync(png, isTiff: false, limit, default);
    using var page = await document.LoadPageAsync(1, default);
    using var tesseract = new TesseractEngine(null, "eng");
    Console.WriteLine($"Leptonica read page {page.PageNumber}; Tesseract ready");
}
