namespace Ocr.TestSupport;

/// <summary>Finds ../shared/eval (real pages with ground truth) from any test's working directory.</summary>
public static class EvalCorpus
{
    public static string Root { get; } = Find();

    public static string PathOf(string relative) => System.IO.Path.Combine(Root, relative);

    public static string GroundTruth(string relative) =>
        File.ReadAllText(System.IO.Path.Combine(Root, System.IO.Path.ChangeExtension(relative, null) + ".gt.txt"));

    private static string Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("OCR_EVAL_DIR");
        if (!string.IsNullOrEmpty(fromEnvironment) && Directory.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "eval");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }

            candidate = System.IO.Path.Combine(dir.FullName, "..", "shared", "eval");
            if (Directory.Exists(candidate) && File.Exists(System.IO.Path.Combine(dir.FullName, "AkkaOcr.sln")))
            {
                return System.IO.Path.GetFullPath(candidate);
            }
        }

        throw new DirectoryNotFoundException("../shared/eval not found; set OCR_EVAL_DIR");
    }
}
