/// <summary>The benchmarks' options: `--name value` pairs anywhere on the command line.</summary>
internal static class CommandLine
{
    /// <summary>The value after <c>--<paramref name="name"/></c>, or <paramref name="fallback"/> when it is not given.</summary>
    public static string Value(string[] args, string name, string fallback)
    {
        var at = Array.IndexOf(args, "--" + name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }
}
