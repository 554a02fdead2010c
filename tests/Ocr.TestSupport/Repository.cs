namespace Ocr.TestSupport;

/// <summary>The source checkout the tests run from.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    public static string Models => Path.Combine(Root, "models");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AkkaOcr.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("AkkaOcr.sln not found above " + AppContext.BaseDirectory);
    }
}
