using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Ocr.Pipeline.Neural;

/// <summary>
/// A float input tensor in ONNX Runtime's own (native) memory. A page's detection input is up to
/// 30 MB and a recognition batch over 1 MB: as managed arrays they landed on the large object heap,
/// which only a full collection empties, and the garbage of a few hundred pages stayed resident.
/// Native, each is handed back to the system as soon as its run is over.
/// </summary>
internal sealed class NativeInput : IDisposable
{
    /// <summary>
    /// Every run hands the arena's chunks it used back when it ends. A page's detection feature maps
    /// are the largest buffers the engine allocates (about 100 MB at 1600 px) and change shape with
    /// every page; recognition's, kept too, held 45 MB more between pages and 25 MB more at peak on
    /// receipts, for the same CPU within noise.
    /// </summary>
    private static readonly RunOptions ReleaseArena = CreateReleasingRunOptions();

    private readonly OrtValue _value;

    /// <summary>A tensor of <paramref name="shape"/>, all zeros (as a managed one starts).</summary>
    public NativeInput(params long[] shape)
    {
        _value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape);
        Values.Clear();
    }

    public Span<float> Values => _value.GetTensorMutableDataAsSpan<float>();

    /// <summary>
    /// Runs <paramref name="session"/> (a model of one input) on this input and asks for its first
    /// output, the only one the engine reads; the caller disposes what comes back.
    /// </summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session) =>
        session.Run(ReleaseArena, [session.InputNames[0]], [_value], [session.OutputNames[0]]);

    public void Dispose() => _value.Dispose();

    private static RunOptions CreateReleasingRunOptions()
    {
        var options = new RunOptions();
        options.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
        return options;
    }
}
