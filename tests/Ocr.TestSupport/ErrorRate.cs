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

    /// <summary>Word error rate: word-level Levenshtein over the ground truth's word count.</summary>
    public static double Wer(string truth, string predicted, bool ignoreCase = true)
    {
        var t = Normalize(truth, ignoreCase).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var p = Normalize(predicted, ignoreCase).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (t.Length == 0)
        {
            return p.Length == 0 ? 0 : 1;
        }

        var previous = Enumerable.Range(0, p.Length + 1).ToArray();
        var current = new int[p.Length + 1];
        for (var i = 1; i <= t.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= p.Length; j++)
            {
                var cost = t[i - 1] == p[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return (double)previous[p.Length] / t.Length;
    }

    private static string Normalize(string text, bool ignoreCase)
    {
        var collapsed = Whitespace().Replace(text, " ").Trim();
        return ignoreCase ? collapsed.ToLowerInvariant() : collapsed;
    }

    /// <summary>
    /// Levenshtein distance, computed in a diagonal band (exact whenever the distance is within
    /// the band, which covers every bound the tests assert) so that long PDFs stay fast.
    /// </summary>
    private static int Levenshtein(string a, string b)
    {
        var band = Math.Max(256, Math.Abs(a.Length - b.Length) + (Math.Max(a.Length, b.Length) / 10));
        const int Far = int.MaxValue / 2;
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j <= band ? j : Far;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            var center = (long)i * b.Length / Math.Max(1, a.Length);
            var from = (int)Math.Max(1, center - band);
            var to = (int)Math.Min(b.Length, center + band);
            Array.Fill(current, Far);
            current[0] = i <= band ? i : Far;
            for (var j = from; j <= to; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return Math.Min(previous[b.Length], Math.Max(a.Length, b.Length));
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
