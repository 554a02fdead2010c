using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;
using Ocr.Pipeline.Neural;
using Ocr.TestSupport;

namespace Ocr.Pipeline.Tests;

public sealed class OnnxGraphFusionTests
{
    private static string ModelPath(string file) => Path.Combine(Repository.Models, "ppocr-v4", file);

    /// <summary>Hard-swish activations, convolutions with an affine block after them, affine blocks after activations.</summary>
    [Theory]
    [InlineData(NeuralModelSet.DetectionFile, false, 24 + 28, 640, 480)]
    [InlineData(NeuralModelSet.RecognitionFile, false, 28 + 28, 48, 640)]
    [InlineData(NeuralModelSet.OrientationFile, false, 18, 48, 192)]
    [InlineData(NeuralModelSet.DetectionFile, true, 24 + 28 + 24, 640, 480)]
    [InlineData(NeuralModelSet.RecognitionFile, true, 28 + 28 + 28, 48, 640)]
    [InlineData(NeuralModelSet.OrientationFile, true, 18, 48, 192)]
    public void Fused_models_give_the_outputs_of_the_originals_on_a_real_receipt(string file, bool affineAfterActivations, int expectedFused, int height, int width)
    {
        var original = File.ReadAllBytes(ModelPath(file));

        var (fused, count) = OnnxGraphFusion.Rewrite(original, affineAfterActivations);

        count.ShouldBe(expectedFused);
        if (!affineAfterActivations)
        {
            // Only nodes go; the BatchNormalization form adds four per-channel tensors for each pair it replaces.
            fused.Length.ShouldBeLessThan(original.Length);
        }

        var input = ReceiptInput(height, width);
        var expected = Run(original, input);
        var actual = Run(fused, input);
        actual.Length.ShouldBe(expected.Length);
        var largest = expected.Zip(actual).Max(pair => Math.Abs(pair.First - pair.Second));
        largest.ShouldBeLessThan(1e-4f);
    }

    [Fact]
    public void A_model_with_nothing_to_fuse_comes_back_as_it_was()
    {
        var (once, fused) = OnnxGraphFusion.Rewrite(File.ReadAllBytes(ModelPath(NeuralModelSet.RecognitionFile)));
        fused.ShouldBeGreaterThan(0);

        var (twice, again) = OnnxGraphFusion.Rewrite(once);

        again.ShouldBe(0);
        twice.ShouldBeSameAs(once);
    }

    [Fact]
    public void The_neural_engine_opens_its_models_fused()
    {
        using var system = Akka.Actor.ActorSystem.Create("fusion");
        var materializer = Akka.Streams.ActorMaterializer.Create(system);
        var models = NeuralModelSet.Load(Repository.Models, "ppocr-v4");
        using var engine = new NeuralEngine(models, ExecutionProvider.Choose("auto", gpuUsable: false, "no GPU in tests"), () => materializer, new NeuralOptions { Workers = 1 });

        engine.PatternsFused.ShouldBe((52 + 24) + (56 + 28) + 18);
    }

    /// <summary>The top of a real receipt, gray, scaled to the model's input and normalised as the engine does (to [-1, 1]).</summary>
    private static DenseTensor<float> ReceiptInput(int height, int width)
    {
        using var receipt = Cv2.ImRead(EvalCorpus.PathOf("images/sroie_033.jpg"), ImreadModes.Grayscale);
        using var top = new Mat(receipt, new Rect(0, 0, receipt.Width, Math.Min(receipt.Height, receipt.Width * height / width)));
        using var scaled = new Mat();
        Cv2.Resize(top, scaled, new Size(width, height), 0, 0, InterpolationFlags.Area);
        var tensor = new DenseTensor<float>([1, 3, height, width]);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var value = (scaled.At<byte>(y, x) / 127.5f) - 1f;
                for (var c = 0; c < 3; c++)
                {
                    tensor[0, c, y, x] = value;
                }
            }
        }

        return tensor;
    }

    private static float[] Run(byte[] model, DenseTensor<float> input)
    {
        using var session = new InferenceSession(model);
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), input)]);
        return outputs[0].AsTensor<float>().ToArray();
    }
}
