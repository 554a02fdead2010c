using System.Runtime.InteropServices;

namespace Ocr.Pipeline.Native;

/// <summary>The subset of Leptonica used for decoding, quarter turns and the pixels Tesseract reads.</summary>
internal static partial class LeptonicaApi
{
    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixReadMem(IntPtr data, nuint size);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixReadMemFromMultipageTiff(IntPtr data, nuint size, ref nuint offset);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int pixReadHeaderMem(
        IntPtr data, nuint size, out int format, out int width, out int height, out int bitsPerSample, out int samplesPerPixel, out int isColormapped);

    [LibraryImport(NativeLibraries.Leptonica, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr pixRead(string fileName);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial void pixDestroy(ref IntPtr pix);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int pixGetWidth(IntPtr pix);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int pixGetHeight(IntPtr pix);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int pixGetDepth(IntPtr pix);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int pixGetXRes(IntPtr pix);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int pixSetResolution(IntPtr pix, int xres, int yres);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixRemoveAlpha(IntPtr pix);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixConvertTo8(IntPtr pix, int colormapFlag);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixGetColormap(IntPtr pix);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int pixGetPixel(IntPtr pix, int x, int y, out uint value);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixConvertTo1(IntPtr pix, int threshold);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int pixOrientDetect(IntPtr pix, out float upConfidence, out float leftConfidence, int minimumCount, int debug);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int makeOrientDecision(float upConfidence, float leftConfidence, float minimumUpConfidence, float minimumRatio, out int orientation, int debug);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixScale(IntPtr pix, float scaleX, float scaleY);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixRotateOrth(IntPtr pix, int quads);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int setMsgSeverity(int severity);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixCopy(IntPtr destination, IntPtr source);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixClone(IntPtr pix);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int pixGetRefcount(IntPtr pix);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixGetData(IntPtr pix);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial IntPtr pixCreate(int width, int height, int depth);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int pixSetAllArbitrary(IntPtr pix, uint value);

    [LibraryImport(NativeLibraries.Leptonica)]
    internal static partial int pixGetWpl(IntPtr pix);
}
