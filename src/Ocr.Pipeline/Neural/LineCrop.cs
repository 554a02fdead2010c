using OpenCvSharp;

namespace Ocr.Pipeline.Neural;

/// <summary>
/// One text region cut out of the page, straightened and scaled to the recognizer's height,
/// ready to be batched with crops of the same padded width (from any page of any job).
/// </summary>
public sealed class LineCrop
{
    public const int Height = 48;
    public const int WidthStep = 64;
    public const int MaxWidth = 3200;

    // A row with less ink than this share of the line's inkiest row is a speck of the next line, not writing.
    private const double WritingRowShare = 0.08;

    private readonly byte[] _gray;

    private LineCrop(byte[] gray, int width, int paddedWidth, bool[] blankColumns, int inkHeight, (int Top, int Bottom) writing, TextRegion region, double widthScale)
    {
        WidthScale = widthScale;
        Writing = writing;
        _gray = gray;
        Width = width;
        PaddedWidth = paddedWidth;
        BlankColumns = blankColumns;
        InkHeight = inkHeight;
        Region = region;
    }

    /// <summary>The recognizer's value of a pixel of the scaled crop: gray normalised to [-1, 1] (0, the padding, past <see cref="Width"/>).</summary>
    public float ValueAt(int x, int y) => x < Width ? Normalised(_gray[(y * Width) + x]) : 0f;

    /// <summary>
    /// Writes the crop's normalised values into <paramref name="plane"/>, <see cref="Height"/> rows
    /// of <see cref="PaddedWidth"/>; the padding is left as it is (0 in a fresh input).
    /// Kept as bytes until then: as floats a receipt's forty lines were 8 MB for the large object heap.
    /// </summary>
    public void WriteTo(Span<float> plane)
    {
        for (var y = 0; y < Height; y++)
        {
            var source = _gray.AsSpan(y * Width, Width);
            var target = plane.Slice(y * PaddedWidth, Width);
            for (var x = 0; x < source.Length; x++)
            {
                target[x] = Normalised(source[x]);
            }
        }
    }

    private static float Normalised(byte gray) => (gray / 127.5f) - 1f;

    public int Width { get; }

    /// <summary>Width rounded up to <see cref="WidthStep"/>: crops are padded to it alone or in a batch, so batching never changes a reading.</summary>
    public int PaddedWidth { get; }

    /// <summary>Columns of the scaled crop with no ink: where word spaces can be.</summary>
    public bool[] BlankColumns { get; }

    /// <summary>Rows from the first to the last inked one: the height of the writing.</summary>
    public int InkHeight { get; }

    /// <summary>The first and last rows of the writing (0 to <see cref="Height"/> − 1), specks of neighbouring lines left out.</summary>
    public (int Top, int Bottom) Writing { get; }

    public TextRegion Region { get; }

    /// <summary>How much narrower than the line's own proportions the crop was scaled (1: not at all).</summary>
    public double WidthScale { get; }

    /// <param name="widthScale">The crop's width at the recognizer's height is multiplied by this (1: the line's own proportions).</param>
    public static LineCrop Cut(Mat page, TextRegion region, double widthScale = 1)
    {
        var width = (int)Math.Max(1, Math.Round(region.Width));
        var height = (int)Math.Max(1, Math.Round(region.Height));
        Point2f[] target = [new(0, 0), new(width, 0), new(width, height), new(0, height)];
        using var transform = Cv2.GetPerspectiveTransform(region.Corners, target);
        using var straight = new Mat();
        Cv2.WarpPerspective(page, straight, transform, new Size(width, height), InterpolationFlags.Cubic, BorderTypes.Replicate);
        if (height >= width * 1.5)
        {
            // A tall, narrow crop is a line of text written downwards: lay it on its side.
            Cv2.Rotate(straight, straight, RotateFlags.Rotate90Counterclockwise);
        }

        return FromStraight(straight, region, widthScale);
    }

    internal static LineCrop FromStraight(Mat straight, TextRegion region, double widthScale = 1)
    {
        var scaledWidth = (int)Math.Clamp(Math.Ceiling(widthScale * Height * straight.Width / (double)straight.Height), 8, MaxWidth);
        var paddedWidth = Math.Min(MaxWidth, ((scaledWidth + WidthStep - 1) / WidthStep) * WidthStep);
        using var scaled = new Mat();
        Cv2.Resize(straight, scaled, new Size(scaledWidth, Height), 0, 0, InterpolationFlags.Linear);

        using var ink = new Mat();
        Cv2.Threshold(scaled, ink, 0, 255, ThresholdTypes.BinaryInv | ThresholdTypes.Otsu);
        if (Cv2.Mean(ink).Val0 > 127)
        {
            // Light writing on a dark ground: ink is the minority either way.
            Cv2.BitwiseNot(ink, ink);
        }

        var gray = new byte[Height * scaledWidth];
        var blank = new bool[scaledWidth];
        var inkPerRow = new int[Height];
        unsafe
        {
            var source = (byte*)scaled.Data;
            var inkBits = (byte*)ink.Data;
            var step = (int)scaled.Step();
            var inkStep = (int)ink.Step();
            var inkPerColumn = new int[scaledWidth];
            for (var y = 0; y < Height; y++)
            {
                var rowInk = 0;
                for (var x = 0; x < scaledWidth; x++)
                {
                    gray[(y * scaledWidth) + x] = source[(y * step) + x];
                    if (inkBits[(y * inkStep) + x] != 0)
                    {
                        inkPerColumn[x]++;
                        rowInk++;
                    }
                }

                inkPerRow[y] = rowInk;
            }

            for (var x = 0; x < scaledWidth; x++)
            {
                blank[x] = inkPerColumn[x] == 0;
            }
        }

        var firstInkRow = Array.FindIndex(inkPerRow, ink => ink > 0);
        var inkHeight = firstInkRow >= 0 ? Array.FindLastIndex(inkPerRow, ink => ink > 0) - firstInkRow + 1 : Height;
        return new LineCrop(gray, scaledWidth, paddedWidth, blank, inkHeight, WritingRows(inkPerRow), region, widthScale);
    }

    private static (int Top, int Bottom) WritingRows(int[] inkPerRow)
    {
        var enough = Math.Max(1, (int)Math.Ceiling(inkPerRow.Max() * WritingRowShare));
        var top = Array.FindIndex(inkPerRow, ink => ink >= enough);
        var bottom = Array.FindLastIndex(inkPerRow, ink => ink >= enough);
        return top < 0 ? (0, Height - 1) : (top, bottom);
    }
}
