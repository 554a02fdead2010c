using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Ocr.Pipeline.Native;

/// <summary>
/// Loads libtesseract and Leptonica as soon as anything in this assembly is touched, so that
/// no code path here can reach OpenCvSharp's native library first (see
/// <see cref="NativeLibraries.EnsureLoaded"/>).
/// </summary>
internal static class NativeLoadOrder
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "The native load order is process-wide and must be fixed before any of this library's OpenCV code runs.")]
    internal static void LoadTesseractBeforeOpenCv()
    {
        try
        {
            NativeLibraries.EnsureLoaded();
        }
        catch (DllNotFoundException)
        {
            // Left to the first engine that needs libtesseract, which reports it with its own error.
        }
    }
}
