using Microsoft.ML.OnnxRuntime;

namespace Ocr.Pipeline.Neural;

/// <summary>Which ONNX Runtime execution provider runs the neural engine, and why.</summary>
public sealed record ExecutionChoice(string Provider, bool OnGpu, string Reason);

/// <summary>
/// Picks the execution provider from the setting (auto|cpu|cuda) and what the machine has:
/// CUDA only when a GPU passed detection and the installed ONNX Runtime build carries the
/// CUDA provider and its libraries load; otherwise the CPU, with the reason recorded.
/// </summary>
public static class ExecutionProvider
{
    public const string Cuda = "CUDAExecutionProvider";
    public const string Cpu = "CPUExecutionProvider";

    public static IReadOnlyList<string> Available()
    {
        try
        {
            return OrtEnv.Instance().GetAvailableProviders();
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return [];
        }
    }

    public static ExecutionChoice Choose(string setting, bool gpuUsable, string gpuReason)
    {
        var wanted = setting.Trim().ToLowerInvariant();
        if (wanted == "cpu")
        {
            return new ExecutionChoice(Cpu, false, "OCR_EXECUTION_PROVIDER=cpu");
        }

        if (wanted == "auto" && !gpuUsable)
        {
            return new ExecutionChoice(Cpu, false, gpuReason);
        }

        if (!Available().Contains(Cuda))
        {
            return new ExecutionChoice(Cpu, false,
                "the installed ONNX Runtime is the CPU build (rebuild with -p:OcrGpu=true for CUDA)");
        }

        // Appending CUDA loads libonnxruntime_providers_cuda and, through it, CUDA 12 and cuDNN 9.
        try
        {
            using var probe = new SessionOptions();
            probe.AppendExecutionProvider_CUDA(0);
            return new ExecutionChoice(Cuda, true, gpuUsable ? "GPU passed detection; CUDA provider loaded" : "OCR_EXECUTION_PROVIDER=cuda");
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return new ExecutionChoice(Cpu, false, $"CUDA provider failed to load, using the CPU: {FirstLine(e.Message)}");
        }
    }

    /// <summary>
    /// Session options for one model: one thread per run (the stages run several at once).
    /// The memory arena stays on: without it every new input shape costs page faults
    /// (measured: 39 s instead of 4 s for a page's first recognition); memory is bounded
    /// by capping the detector's input and the pixels per recognition batch instead.
    /// </summary>
    public static SessionOptions SessionOptionsFor(ExecutionChoice choice)
    {
        var options = new SessionOptions
        {
            EnableCpuMemArena = true,
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (choice.OnGpu)
        {
            options.AppendExecutionProvider_CUDA(0);
        }
        else
        {
            // The three models run one after another on a page: one arena for all of them holds
            // the largest working set once instead of once per model (50-80 MB less at peak on
            // perf.py's mixed PDF, same pages/s).
            SharedCpuArena.Register();
            options.AddSessionConfigEntry("session.use_env_allocators", "1");
        }

        return options;
    }

    /// <summary>The process's one CPU arena, registered with ONNX Runtime's environment for every CPU session.</summary>
    private static class SharedCpuArena
    {
        private static int _registered;

        public static void Register()
        {
            if (Interlocked.Exchange(ref _registered, 1) == 0)
            {
                using var memory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
                // No limit, default chunk sizes, and regions of the size asked for (kSameAsRequested = 1):
                // with the default growth (next power of two) the arena never shrinks its first region,
                // and whatever that region had touched stayed resident after a job (perf.py --rss-scale,
                // 300 pages after 30 in one host: 599-634 MB with it, 572-577 MB with this).
                using var config = new OrtArenaCfg(0, 1, -1, -1);
                OrtEnv.Instance().CreateAndRegisterAllocator(memory, config);
            }
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
