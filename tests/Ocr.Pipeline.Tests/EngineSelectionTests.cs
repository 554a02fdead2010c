using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Neural;
using Ocr.Pipeline.Streams;

namespace Ocr.Pipeline.Tests;

public sealed class EngineSelectionTests
{
    [Fact]
    public void Without_a_usable_GPU_the_auto_provider_is_the_CPU_and_says_why()
    {
        var choice = ExecutionProvider.Choose("auto", gpuUsable: false, "no NVIDIA driver found");

        choice.Provider.ShouldBe(ExecutionProvider.Cpu);
        choice.OnGpu.ShouldBeFalse();
        choice.Reason.ShouldBe("no NVIDIA driver found");
    }

    [Fact]
    public void The_cpu_setting_keeps_the_CPU_even_with_a_GPU()
    {
        ExecutionProvider.Choose("cpu", gpuUsable: true, "GPU ok").Reason.ShouldContain("OCR_EXECUTION_PROVIDER=cpu");
    }

    [Fact]
    public void Mocked_GPU_that_passes_detection_falls_back_to_the_CPU_when_this_ONNX_Runtime_build_has_no_CUDA()
    {
        // No GPU here: detection's verdict is given. The served default package is the CPU build.
        ExecutionProvider.Available().ShouldNotContain(ExecutionProvider.Cuda);

        var choice = ExecutionProvider.Choose("auto", gpuUsable: true, "H100: 79 GB free");

        choice.OnGpu.ShouldBeFalse();
        choice.Reason.ShouldContain("CPU build");
        ExecutionProvider.Choose("cuda", gpuUsable: false, "no GPU").Reason.ShouldContain("CPU build");
    }

    [Theory]
    [InlineData(false, false, "neural", "tesseract")]
    [InlineData(true, false, "tesseract", "tesseract")]
    [InlineData(true, false, "neural", "neural")]
    [InlineData(true, true, "tesseract", "neural")]
    public void Auto_picks_neural_on_a_GPU_else_the_configured_CPU_engine(bool installed, bool onGpu, string cpuEngine, string expected) =>
        EnginePolicy.ChooseAutoEngine(installed, onGpu, cpuEngine).ShouldBe(expected);

    [Theory]
    [InlineData(1080, 1527, 300, true)]   // a till receipt scanned at 300 dpi (3.6 in wide)
    [InlineData(735, 1889, 0, true)]      // a receipt photo stating no resolution: taken as 300 dpi
    [InlineData(1080, 1527, 72, true)]    // 72 dpi is what cameras write when they know nothing
    [InlineData(2550, 3300, 300, false)]  // a US letter page
    [InlineData(1240, 1754, 150, false)]  // an A4 page at 150 dpi: 8.3 in wide
    [InlineData(957, 307, 0, false)]      // a wide bill: not tall
    [InlineData(1000, 1100, 300, false)]  // narrow but nearly square
    [InlineData(480, 640, 200, false)]    // a small 4:3 photo standing upright
    public void A_narrow_tall_page_is_taken_for_a_receipt_before_it_is_read(int width, int height, int resolution, bool narrow) =>
        PageShape.IsNarrow(width, height, resolution).ShouldBe(narrow);

    [Fact]
    public void GPU_detection_agrees_with_the_NVIDIA_devices_this_machine_has_and_never_throws()
    {
        // The machine's own answer, independent of the detector: an NVIDIA device node and its management library.
        var machineHasNvidiaGpu = File.Exists("/dev/nvidiactl") && System.Runtime.InteropServices.NativeLibrary.TryLoad("libnvidia-ml.so.1", out _);

        var status = GpuDetector.Detect(0.5);

        status.Detected.ShouldBe(machineHasNvidiaGpu, status.Reason);
        if (machineHasNvidiaGpu)
        {
            status.Name.ShouldNotBeNullOrEmpty();
            status.TotalMemoryGb.ShouldNotBeNull().ShouldBeGreaterThan(0);
        }
        else
        {
            status.PassesThreshold.ShouldBeFalse();
            status.Reason.ShouldContain("no NVIDIA driver");
        }
    }

    [Fact]
    public void The_better_reading_is_the_more_confident_one_unless_it_lost_text()
    {
        var full = new PageRecognition("a long reading with many letters", 0.70, 0, 0, "plain", OcrEngines.Tesseract, []);
        var confident = new PageRecognition("a long reading with many letterz", 0.90, 0, 0, "neural", OcrEngines.Neural, []);
        var shortOne = new PageRecognition("a", 0.99, 0, 0, "neural", OcrEngines.Neural, []);

        ReadingPlan.Better(full, confident).ShouldBe(confident);
        ReadingPlan.Better(full, shortOne).ShouldBe(full);
        ReadingPlan.Better(shortOne, full).ShouldBe(full);
    }
}
