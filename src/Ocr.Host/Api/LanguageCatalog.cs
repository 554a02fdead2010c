namespace Ocr.Host.Api;

/// <summary>The Tesseract languages installed on this machine (tessdata/*.traineddata).</summary>
public static class LanguageCatalog
{
    private static readonly string[] Directories =
    [
        Environment.GetEnvironmentVariable("TESSDATA_PREFIX") ?? "",
        "/usr/share/tesseract-ocr/5/tessdata",
        "/usr/share/tesseract-ocr/4.00/tessdata",
        "/usr/share/tessdata",
    ];

    private static readonly Lazy<IReadOnlyList<string>> Languages = new(() => Directories
        .Where(d => d.Length > 0 && Directory.Exists(d))
        .SelectMany(d => Directory.GetFiles(d, "*.traineddata"))
        .Select(f => Path.GetFileNameWithoutExtension(f))
        .Where(l => l != "osd")
        .Distinct()
        .Order()
        .ToList());

    public static IReadOnlyList<string> Installed() => Languages.Value;

    /// <summary>True for an installed language or a '+'-joined list of them (e.g. eng+deu).</summary>
    public static bool IsInstalled(string language) =>
        language.Length <= 64 && language.Split('+').All(part => Languages.Value.Contains(part));
}
