using System.Runtime.InteropServices;

namespace Ocr.Pipeline.Native;

/// <summary>The subset of libtesseract's C API (capi.h) that the engine uses.</summary>
internal static partial class TesseractApi
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.I1)]
    internal delegate bool CancelFunc(IntPtr cancelThis, int words);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial IntPtr TessVersion();

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial IntPtr TessBaseAPICreate();

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial void TessBaseAPIDelete(IntPtr handle);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial void TessBaseAPIEnd(IntPtr handle);

    [LibraryImport(NativeLibraries.Tesseract, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int TessBaseAPIInit3(IntPtr handle, string? dataPath, string language);

    [LibraryImport(NativeLibraries.Tesseract, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int TessBaseAPISetVariable(IntPtr handle, string name, string value);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial void TessBaseAPISetPageSegMode(IntPtr handle, int mode);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial void TessBaseAPISetImage2(IntPtr handle, IntPtr pix);


    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial int TessBaseAPIRecognize(IntPtr handle, IntPtr monitor);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial IntPtr TessBaseAPIGetUTF8Text(IntPtr handle);


    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial IntPtr TessBaseAPIAllWordConfidences(IntPtr handle);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial void TessBaseAPIClear(IntPtr handle);

    [LibraryImport(NativeLibraries.Tesseract)]
    [return: MarshalAs(UnmanagedType.I4)]
    internal static partial int TessBaseAPIDetectOrientationScript(
        IntPtr handle, out int orientationDegrees, out float orientationConfidence, out IntPtr scriptName, out float scriptConfidence);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial void TessDeleteText(IntPtr text);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial void TessDeleteIntArray(IntPtr array);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial IntPtr TessBaseAPIGetIterator(IntPtr handle);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial void TessResultIteratorDelete(IntPtr iterator);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial IntPtr TessResultIteratorGetPageIterator(IntPtr iterator);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial IntPtr TessResultIteratorGetUTF8Text(IntPtr iterator, int level);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial float TessResultIteratorConfidence(IntPtr iterator, int level);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial int TessResultIteratorNext(IntPtr iterator, int level);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial int TessPageIteratorIsAtBeginningOf(IntPtr iterator, int level);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial int TessPageIteratorBoundingBox(IntPtr iterator, int level, out int left, out int top, out int right, out int bottom);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial IntPtr TessMonitorCreate();

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial void TessMonitorDelete(IntPtr monitor);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial void TessMonitorSetCancelFunc(IntPtr monitor, IntPtr cancelFunc);

    [LibraryImport(NativeLibraries.Tesseract)]
    internal static partial void TessMonitorSetCancelThis(IntPtr monitor, IntPtr cancelThis);
}
