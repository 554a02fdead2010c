using System.Text.RegularExpressions;

namespace Ocr.TestSupport;

/// <summary>Character error rate as ../shared/eval/score.py computes it (Levenshtein after collapsing whitespace).</summary>
public static partial class ErrorRate
{
    public static double Cer(string truth, string predicted, bool ignoreCase = true)
    {
        var t = Normalize(truth, ignoreCase);
        var p = Normalize(predicted, ignoreCase);
        return t.Length == 0 ? (p.Length == 0 ? 0 : 1) : (double)Levenshtein(t, p) / t.Length;
    }

    private static string Normalize(string text, bool ignoreCase)
    {
        var collapsed = Whitespace().Replace(text, " ").Trim();
        return ignoreCase ? collapsed.ToLowerInvariant() : collapsed;
    }

    private static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
