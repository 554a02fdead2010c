using Ocr.Host;
using Ocr.Pipeline.Native;

// Touches no Tesseract or OpenCV: runs on GPU machines without them.
if (args.Length > 0 && args[0] == "gpu")
{
    return GpuCommand.Run(args[1..]);
}

// libtesseract (and its libpng) must load before anything else native; see NativeLibraries.
NativeLibraries.EnsureLoaded();

if (args.Length > 0 && args[0] == "token")
{
    return TokenCommand.Run(args[1..]);
}

// Before the host starts any thread of its own: this may start the process again in place.
MallocHugePages.RestartWithHugePagesIfUseful();

var app = OcrHost.Build(args);
if (app is null)
{
    return 1;
}

await app.RunAsync();
return 0;

/// <summary>Lets WebApplicationFactory and tests find the entry point.</summary>
public partial class Program;
