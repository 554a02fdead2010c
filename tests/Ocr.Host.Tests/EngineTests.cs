using System.Net;
using Ocr.TestSupport;

namespace Ocr.Host.Tests;

/// <summary>Engine choice over the API, each on a fresh host process.</summary>
public sealed class EngineTests
{
    [Fact]
    public async Task OpenCV_and_Tesseract_work_in_one_fresh_process_neural_job_first()
    {
        // OpenCvSharp's native library carries its own libpng; loaded before libtesseract it has
        // aborted Tesseract's first recognition. A fresh process runs the neural engine (OpenCV)
        // first, then Tesseract, and must survive both.
        await using var host = new HostProcess();
        await host.StartAsync();
        using var client = host.Client();
        var page = await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/tess_phototest.tif"));

        var neural = await client.WaitAsync(await client.SubmitOkAsync("a.tif", page, new Dictionary<string, string> { ["engine"] = "neural" }));
        var tesseract = await client.WaitAsync(await client.SubmitOkAsync("b.tif", page, new Dictionary<string, string> { ["engine"] = "tesseract" }));

        neural["status"].Text().ShouldBe("completed");
        tesseract["status"].Text().ShouldBe("completed");
        host.ExitCode.ShouldBeNull();
        var neuralResult = await client.ResultAsync(neural["job_id"].Text());
        var tesseractResult = await client.ResultAsync(tesseract["job_id"].Text());
        ErrorRate.Cer(EvalCorpus.GroundTruth("images/tess_phototest.tif"), neuralResult["extracted_text"].Text()).ShouldBeLessThan(0.03);
        ErrorRate.Cer(EvalCorpus.GroundTruth("images/tess_phototest.tif"), tesseractResult["extracted_text"].Text()).ShouldBeLessThan(0.03);
        neuralResult["model_used"].Text().ShouldContain("ppocr-v4");
        neuralResult["gpu_used"]!.GetValue<bool>().ShouldBeFalse();
        var neuralPage = neuralResult["pages"]!.AsArray()[0]!;
        neuralPage["engine"].Text().ShouldBe("neural");
        neuralPage["escalated"]!.GetValue<bool>().ShouldBeFalse();
        var firstLine = neuralPage["lines"]!.AsArray()[0]!;
        firstLine["text"].Text().ShouldNotBeEmpty();
        var box = firstLine["box"]!.AsArray().Select(v => v!.GetValue<int>()).ToList();
        box.Count.ShouldBe(4);
        (box[2] - box[0]).ShouldBeGreaterThan(0);
        neuralPage["words"]!.AsArray().Count.ShouldBeGreaterThan(neuralPage["lines"]!.AsArray().Count);
        tesseractResult["model_used"].Text().ShouldStartWith("tesseract");
        tesseractResult["pages"]!.AsArray()[0]!["engine"].Text().ShouldBe("tesseract");
    }

    [Fact]
    public async Task Without_a_GPU_auto_runs_the_configured_CPU_engine_and_system_says_why()
    {
        await using var host = new HostProcess();
        await host.StartAsync();
        using var client = host.Client();

        var system = await (await client.GetAsync("/api/ocr/system/")).JsonAsync();

        system["device"].Text().ShouldBe("cpu");
        system["execution_provider"].Text().ShouldBe("CPUExecutionProvider");
        system["execution_provider_reason"].Text().ShouldNotBeEmpty();
        system["default_engine"].Text().ShouldBe("tesseract");
        var neural = system["engines"]!.AsArray().Single(e => e?["name"].Text() == "neural")!;
        neural["model_set"].Text().ShouldBe("ppocr-v4");

        var job = await client.WaitAsync(await client.SubmitOkAsync("p.tif", await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/tess_phototest.tif"))));
        var result = await client.ResultAsync(job["job_id"].Text());
        result["pages"]!.AsArray()[0]!["engine"].Text().ShouldBe("tesseract");
    }

    [Fact]
    public async Task With_OCR_MODEL_CPU_naming_a_neural_model_set_auto_runs_the_neural_engine()
    {
        await using var host = new HostProcess(new Dictionary<string, string> { ["OCR_MODEL_CPU"] = "ppocr-v4", ["OCR_ESCALATE_BELOW"] = "0" });
        await host.StartAsync();
        using var client = host.Client();

        var system = await (await client.GetAsync("/api/ocr/system/")).JsonAsync();
        system["default_engine"].Text().ShouldBe("neural");
        var job = await client.WaitAsync(await client.SubmitOkAsync("l.png", await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/uw3_line_010002.png"))));
        var result = await client.ResultAsync(job["job_id"].Text());
        result["pages"]!.AsArray()[0]!["engine"].Text().ShouldBe("neural");
    }
}
