using Microsoft.ML.OnnxRuntime;

namespace Ocr.Pipeline.Neural;

/// <summary>The PP-OCR 0°/180° line classifier: tells upside-down text lines.</summary>
public sealed class OrientationClassifier(InferenceSession session)
{
    private const int Height = 48;
    private const int Width = 192;

    /// <summary>The share of the page's 16 widest lines (weighted by confidence) that read upside down.</summary>
    public double UpsideDownShare(IEnumerable<LineCrop> crops)
    {
        var chosen = crops.OrderByDescending(c => c.Region.Width).Take(16).ToList();
        if (chosen.Count == 0)
        {
            return 0;
        }

        using var input = new NativeInput(chosen.Count, 3, Height, Width);
        var buffer = input.Values;
        for (var i = 0; i < chosen.Count; i++)
        {
            var crop = chosen[i];
            var width = Math.Min(Width, crop.Width);
            for (var y = 0; y < Height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    // Long lines are read from their start: enough letters to tell up from down.
                    var value = crop.ValueAt(x, y);
                    for (var c = 0; c < 3; c++)
                    {
                        buffer[(((i * 3) + c) * Height * Width) + (y * Width) + x] = value;
                    }
                }
            }
        }

        using var outputs = input.Run(session);
        var scores = outputs[0].GetTensorDataAsSpan<float>();
        var classes = (int)outputs[0].GetTensorTypeAndShape().Shape[1];
        double upsideDown = 0, total = 0;
        for (var i = 0; i < chosen.Count; i++)
        {
            var up = scores[i * classes];
            var down = scores[(i * classes) + 1];
            var weight = Math.Abs(up - down);
            total += weight;
            if (down > up)
            {
                upsideDown += weight;
            }
        }

        return total == 0 ? 0 : upsideDown / total;
    }
}
