using Microsoft.ML.OnnxRuntime;

namespace Ocr.Pipeline.Neural;

/// <summary>A word of a recognized line: its text and where it lies along the scaled crop (pixels).</summary>
public sealed record WordSpan(string Text, double Confidence, double Start, double End);

/// <summary>What the recognizer read in one crop.</summary>
public sealed record LineReading(string Text, double Confidence, IReadOnlyList<WordSpan> Words)
{
    public static readonly LineReading Empty = new("", 0, []);
}

/// <summary>
/// CTC text recognition (PP-OCR, height 48) over a batch of crops of one padded width, greedy
/// decoding, and word spaces put back where the crop shows a gap in the ink: the Chinese+Latin
/// models drop most spaces between Latin words.
/// </summary>
public sealed class TextRecognizer(InferenceSession session, IReadOnlyList<string> characters, double spaceGapRatio = 0.2)
{
    public LineReading[] Recognize(IReadOnlyList<LineCrop> crops)
    {
        if (crops.Count == 0)
        {
            return [];
        }

        var width = crops[0].PaddedWidth;
        if (crops.Any(c => c.PaddedWidth != width))
        {
            throw new ArgumentException("a batch holds crops of one padded width", nameof(crops));
        }

        var plane = LineCrop.Height * width;
        using var input = new NativeInput(crops.Count, 3, LineCrop.Height, width);
        var buffer = input.Values;
        for (var i = 0; i < crops.Count; i++)
        {
            // Padding stays 0, the value PaddleOCR pads with after normalisation; the three channels are alike.
            var first = buffer.Slice(i * 3 * plane, plane);
            crops[i].WriteTo(first);
            first.CopyTo(buffer.Slice(((i * 3) + 1) * plane, plane));
            first.CopyTo(buffer.Slice(((i * 3) + 2) * plane, plane));
        }

        using var outputs = input.Run(session);
        var probabilities = outputs[0];
        var shape = probabilities.GetTensorTypeAndShape().Shape;
        var steps = (int)shape[1];
        var classes = (int)shape[2];
        var values = probabilities.GetTensorDataAsSpan<float>();
        var readings = new LineReading[crops.Count];
        for (var i = 0; i < crops.Count; i++)
        {
            readings[i] = Decode(values.Slice(i * steps * classes, steps * classes), steps, classes, crops[i]);
        }

        return readings;
    }

    private LineReading Decode(ReadOnlySpan<float> probabilities, int steps, int classes, LineCrop crop)
    {
        var glyphs = new List<(string Text, float Probability, int First, int Last)>();
        var previous = 0;
        for (var t = 0; t < steps; t++)
        {
            var row = probabilities.Slice(t * classes, classes);
            var best = 0;
            var bestValue = row[0];
            for (var c = 1; c < classes; c++)
            {
                if (row[c] > bestValue)
                {
                    bestValue = row[c];
                    best = c;
                }
            }

            if (best != 0 && best == previous && glyphs.Count > 0)
            {
                var last = glyphs[^1];
                glyphs[^1] = last with { Probability = Math.Max(last.Probability, bestValue), Last = t };
            }
            else if (best != 0 && best - 1 < characters.Count)
            {
                glyphs.Add((characters[best - 1], bestValue, t, t));
            }

            previous = best;
        }

        if (glyphs.Count == 0)
        {
            return LineReading.Empty;
        }

        var stride = crop.PaddedWidth / (double)steps;
        double Centre(int i) => (glyphs[i].First + glyphs[i].Last + 1) / 2.0 * stride;
        var gaps = new int[glyphs.Count];
        for (var i = 0; i + 1 < glyphs.Count; i++)
        {
            gaps[i] = LongestBlankRun(crop.BlankColumns, (int)Centre(i), (int)Centre(i + 1));
        }

        // Letter spacing differs by font (monospaced receipt print spaces letters widely):
        // a word space is a gap well beyond this line's usual gap between letters (gaps shrink with a squeezed crop, heights do not).
        var usualGap = gaps.Length > 1 ? gaps[..^1].Order().ElementAt((gaps.Length - 1) / 2) : 0;
        var minimumGap = Math.Max(2, usualGap + (spaceGapRatio * crop.InkHeight * crop.WidthScale));
        var words = new List<WordSpan>();
        var text = new System.Text.StringBuilder();
        var word = new System.Text.StringBuilder();
        double wordStart = 0, wordProbability = 0;
        var wordGlyphs = 0;

        void EndWord(double end)
        {
            if (word.Length > 0)
            {
                words.Add(new WordSpan(word.ToString(), wordProbability / wordGlyphs, wordStart, end));
                if (text.Length > 0)
                {
                    text.Append(' ');
                }

                text.Append(word);
                word.Clear();
            }

            wordProbability = 0;
            wordGlyphs = 0;
        }

        for (var i = 0; i < glyphs.Count; i++)
        {
            var glyph = glyphs[i];
            var centre = Centre(i);
            if (glyph.Text == " ")
            {
                EndWord(centre);
                continue;
            }

            if (word.Length == 0)
            {
                wordStart = Math.Max(0, centre - stride);
            }

            word.Append(glyph.Text);
            wordProbability += glyph.Probability;
            wordGlyphs++;
            if (i + 1 < glyphs.Count && glyphs[i + 1].Text != " ")
            {
                // Narrow digits ("1") leave wide gaps inside numbers: split numbers only at a clearly wider gap.
                var inNumber = char.IsDigit(glyph.Text[0]) && char.IsDigit(glyphs[i + 1].Text[0]);
                if (gaps[i] >= (inNumber ? minimumGap * 1.5 : minimumGap))
                {
                    EndWord(centre + stride);
                }
            }
        }

        EndWord(Math.Min(crop.Width, ((glyphs[^1].Last + 1) * stride) + stride));
        var confidence = glyphs.Where(g => g.Text != " ").Select(g => (double)g.Probability).DefaultIfEmpty(0).Average();
        return new LineReading(text.ToString(), confidence, words);
    }

    private static int LongestBlankRun(bool[] blank, int from, int to)
    {
        var longest = 0;
        var run = 0;
        for (var x = Math.Max(0, from); x < Math.Min(blank.Length, to); x++)
        {
            run = blank[x] ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return longest;
    }
}
