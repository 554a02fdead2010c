using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ocr.Pipeline.Engines;

namespace Ocr.Pipeline.Neural;

/// <summary>
/// What GPU detection finds on this machine, which ONNX Runtime providers this build carries,
/// and which one the neural engine would run on and why (OCR_GPU_THRESHOLD, OCR_EXECUTION_PROVIDER);
/// optionally a timing of the detection model on that provider. Behind the ops command `gpu`.
/// </summary>
public static class GpuReport
{
    public static object Build(string? probeModelFolder)
    {
        var threshold = double.TryParse(Environment.GetEnvironmentVariable("OCR_GPU_THRESHOLD"), CultureInfo.InvariantCulture, out var gb) ? gb : 0.5;
        var setting = Environment.GetEnvironmentVariable("OCR_EXECUTION_PROVIDER") ?? "auto";
        var gpu = GpuDetector.Detect(threshold);
        var choice = ExecutionProvider.Choose(setting, gpu.PassesThreshold, gpu.Reason);
        return new
        {
            gpu,
            onnxruntime_providers = ExecutionProvider.Available(),
            execution_provider_setting = setting,
            chosen = choice,
            probe = probeModelFolder is null ? null : new
            {
                detection_1x3x1600x1216 = Probe(Path.Combine(probeModelFolder, NeuralModelSet.DetectionFile), choice, [1, 3, 1600, 1216]),
                recognition_16x3x48x640 = Probe(Path.Combine(probeModelFolder, NeuralModelSet.RecognitionFile), choice, [16, 3, 48, 640]),
            },
        };
    }

    private static object Probe(string modelPath, ExecutionChoice choice, int[] shape)
    {
        using var options = ExecutionProvider.SessionOptionsFor(choice);
        var clock = Stopwatch.StartNew();
        using var session = new InferenceSession(modelPath, options);
        var load = clock.Elapsed.TotalMilliseconds;
        var input = new DenseTensor<float>(shape);
        var runs = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            clock.Restart();
            using var _ = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), input)]);
            runs.Add(Math.Round(clock.Elapsed.TotalMilliseconds, 1));
        }

        return new { model = modelPath, provider = choice.Provider, session_load_ms = Math.Round(load, 1), run_ms = runs };
    }
}
