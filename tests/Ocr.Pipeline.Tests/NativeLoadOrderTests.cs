using Ocr.TestSupport;

namespace Ocr.Pipeline.Tests;

/// <summary>
/// The native load order in a process of its own (in this one, the test assembly's initializer
/// has loaded libtesseract long before): OpenCvSharp's bundled libpng takes over the system
/// one when it loads first, and Leptonica's next PNG read then kills the process.
/// </summary>
public sealed class NativeLoadOrderTests
{
    [Fact]
    public async Task A_process_that_touches_the_pipeline_and_then_OpenCV_first_still_reads_a_PNG_with_Leptonica_and_Tesseract()
    {
        var probe = BuiltOutputs.Dll("tests/Ocr.LoadOrderProbe", "Ocr.LoadOrderProbe.dll");

        var (exitCode, output, error) = await Processes.RunAsync("dotnet", [probe, EvalCorpus.PathOf("images/ocrmypdf_linn.png")], timeout: TimeSpan.FromSeconds(60));

        exitCode.ShouldBe(0, $"the probe died: {error}");
        output.ShouldContain("OpenCV read 2550x3300");
        output.ShouldContain("Leptonica read page 1; Tesseract");
    }
}
