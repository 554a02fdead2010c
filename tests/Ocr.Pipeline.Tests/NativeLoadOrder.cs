using System.Runtime.CompilerServices;
using Ocr.Pipeline.Native;

namespace Ocr.Pipeline.Tests;

/// <summary>
/// Some tests touch OpenCvSharp before anything in Ocr.Pipeline: libtesseract must be loaded
/// before it in this process, whichever test runs first (a CI run died of it: "libpng error",
/// "double free or corruption").
/// </summary>
internal static class NativeLoadOrder
{
    [ModuleInitializer]
    internal static void LoadTesseractBeforeOpenCv() => NativeLibraries.EnsureLoaded();
}
