using System.Buffers.Binary;

namespace Ocr.Pipeline.Native;

/// <summary>
/// Rows of 8-bit pixels between Leptonica's layout and plain byte rows. Leptonica keeps pixels
/// in 32-bit words, most significant byte first: on a little-endian machine pixel x sits at
/// byte x ^ 3. Whole words are byte-swapped at once; the last, partial word goes pixel by pixel.
/// </summary>
internal static class LeptonicaRows
{
    /// <summary>One row from Leptonica's layout to a plain byte row.</summary>
    public static unsafe void CopyOut(byte* input, byte* output, int width)
    {
        var words = width / 4;
        BinaryPrimitives.ReverseEndianness(new ReadOnlySpan<uint>(input, words), new Span<uint>(output, words));
        for (var x = words * 4; x < width; x++)
        {
            output[x] = input[x ^ 3];
        }
    }

    /// <summary>One plain byte row into Leptonica's layout.</summary>
    public static unsafe void CopyIn(byte* input, byte* output, int width)
    {
        var words = width / 4;
        BinaryPrimitives.ReverseEndianness(new ReadOnlySpan<uint>(input, words), new Span<uint>(output, words));
        for (var x = words * 4; x < width; x++)
        {
            output[x ^ 3] = input[x];
        }
    }
}
