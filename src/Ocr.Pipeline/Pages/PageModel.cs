using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ocr.Pipeline.Pages;

/// <summary>
/// A rectangle in pixels of the page as uploaded: left and top inclusive, right and bottom
/// exclusive. Written as <c>[x0, y0, x1, y1]</c>.
/// </summary>
[JsonConverter(typeof(BoxJsonConverter))]
public readonly record struct Box(int X0, int Y0, int X1, int Y1)
{
    public int Width => X1 - X0;

    public int Height => Y1 - Y0;

    public bool IsEmpty => X1 <= X0 || Y1 <= Y0;

    public Box Union(Box other) => IsEmpty ? other : other.IsEmpty ? this
        : new(Math.Min(X0, other.X0), Math.Min(Y0, other.Y0), Math.Max(X1, other.X1), Math.Max(Y1, other.Y1));

    public Box ClipTo(int width, int height) =>
        new(Math.Clamp(X0, 0, width), Math.Clamp(Y0, 0, height), Math.Clamp(X1, 0, width), Math.Clamp(Y1, 0, height));

    public Box Scale(double factor) => factor == 1 ? this
        : new((int)Math.Floor(X0 * factor), (int)Math.Floor(Y0 * factor), (int)Math.Ceiling(X1 * factor), (int)Math.Ceiling(Y1 * factor));

    public static Box Enclosing(IEnumerable<Box> boxes) => boxes.Aggregate(default(Box), (all, box) => all.Union(box));

    public int[] ToArray() => [X0, Y0, X1, Y1];

    public static Box FromArray(IReadOnlyList<int> values) =>
        values.Count == 4 ? new(values[0], values[1], values[2], values[3]) : throw new ArgumentException("a box has four numbers", nameof(values));
}

public sealed class BoxJsonConverter : JsonConverter<Box>
{
    public override Box Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Box.FromArray(JsonSerializer.Deserialize<int[]>(ref reader, options) ?? []);

    public override void Write(Utf8JsonWriter writer, Box value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(value.X0);
        writer.WriteNumberValue(value.Y0);
        writer.WriteNumberValue(value.X1);
        writer.WriteNumberValue(value.Y1);
        writer.WriteEndArray();
    }
}

/// <summary>A word: its text, calibrated confidence (0–1) and box.</summary>
public sealed record TextWord(string Text, double Confidence, Box Box);

/// <summary>A line of words, left to right.</summary>
public sealed record TextLine(string Text, double Confidence, Box Box, IReadOnlyList<TextWord> Words)
{
    public static TextLine Of(IReadOnlyList<TextWord> words) => new(
        string.Join(' ', words.Select(w => w.Text)),
        Math.Round(LetterWeighted(words.Select(w => (w.Text, w.Confidence))), 4),
        Box.Enclosing(words.Select(w => w.Box)),
        words);

    /// <summary>Mean confidence weighted by letters (a long word says more than a comma); 0 when empty.</summary>
    public static double LetterWeighted(IEnumerable<(string Text, double Confidence)> parts)
    {
        double sum = 0;
        var letters = 0;
        foreach (var (text, confidence) in parts)
        {
            sum += confidence * text.Length;
            letters += text.Length;
        }

        return letters == 0 ? 0 : sum / letters;
    }
}

/// <summary>A block of lines read together: a paragraph, a column's run of text, a table cell.</summary>
public sealed record TextBlock(Box Box, IReadOnlyList<TextLine> Lines)
{
    public static TextBlock Of(IReadOnlyList<TextLine> lines) => new(Box.Enclosing(lines.Select(l => l.Box)), lines);
}

/// <summary>
/// One page as the service understands it, whatever read it: its text, the blocks, lines and
/// words with boxes in the frame of the page as uploaded (an image with its EXIF orientation
/// applied, or a PDF page as rendered at <see cref="Dpi"/>), and how the engine turned it.
/// <see cref="Blocks"/> is null for pages stored before word geometry was recorded.
/// </summary>
public sealed record PageModel(
    int PageNumber,
    string Text,
    double Confidence,
    string Source,
    string? Engine,
    int Width,
    int Height,
    int? Dpi,
    int Rotation,
    double DeskewAngle,
    IReadOnlyList<TextBlock>? Blocks,
    PageQuality? Quality = null,
    double ProcessingTime = 0,
    bool Escalated = false,
    bool GpuUsed = false,
    string? Node = null)
{
    /// <summary>Seconds per stage of reading this page (for the benchmarks; not stored).</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, double>? Stages { get; init; }

    [JsonIgnore]
    public bool HasGeometry => Blocks is not null;

    [JsonIgnore]
    public IEnumerable<TextLine> Lines => Blocks?.SelectMany(b => b.Lines) ?? [];

    [JsonIgnore]
    public IEnumerable<TextWord> Words => Lines.SelectMany(l => l.Words);
}
