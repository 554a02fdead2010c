namespace Ocr.TestSupport;

/// <summary>Programs of this repository, built in the configuration the tests run in.</summary>
public static class BuiltOutputs
{
    /// <summary><paramref name="file"/> in the build output of the project in <paramref name="projectDirectory"/> (relative to the repository root).</summary>
    public static string Dll(string projectDirectory, string file)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AkkaOcr.sln")))
            {
                var dll = Path.Combine(dir.FullName, projectDirectory, "bin", configuration, "net10.0", file);
                return File.Exists(dll) ? dll : throw new FileNotFoundException($"build {projectDirectory} first", dll);
            }
        }

        throw new DirectoryNotFoundException("AkkaOcr.sln not found above " + AppContext.BaseDirectory);
    }
}
