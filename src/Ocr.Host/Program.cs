using Ocr.Host;
using Ocr.Pipeline.Native;

// libtesseract (and its libpng) must load before anything else native; see NativeLibraries.
NativeLibraries.EnsureLoaded();

if (args.Length > 0 && args[0] == "token")
{
    return TokenCommand.Run(args[1..]);
}

var app = OcrHost.Build(args);
if (app is null)
{
    return 1;
}

await app.RunAsync();
return 0;

/// <summary>Lets WebApplicationFactory and tests find the entry point.</summary>
public partial class Program;
