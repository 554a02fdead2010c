using System.Globalization;

namespace Ocr.Pipeline.Streams;

/// <summary>Parses page ranges such as <c>1-3,7</c> (1-based, inclusive).</summary>
public static class PageSelection
{
    /// <summary>Null when <paramref name="text"/> is well-formed, else why not.</summary>
    public static string? Validate(string? text) => TryParse(text, out _, out var error) ? null : error;

    /// <summary>The selected pages that exist in a document of <paramref name="pageCount"/> pages, in order.</summary>
    public static IReadOnlyList<int> Resolve(string? text, int pageCount)
    {
        if (!TryParse(text, out var ranges, out var error))
        {
            throw new OcrDocumentException(error!);
        }

        if (ranges.Count == 0)
        {
            return Enumerable.Range(1, pageCount).ToList();
        }

        var pages = new SortedSet<int>();
        foreach (var (from, to) in ranges)
        {
            for (var p = from; p <= Math.Min(to, pageCount); p++)
            {
                pages.Add(p);
            }
        }

        return pages.Count > 0
            ? pages.ToList()
            : throw new OcrDocumentException($"the page selection '{text}' names no page of this {pageCount}-page document");
    }

    private static bool TryParse(string? text, out List<(int From, int To)> ranges, out string? error)
    {
        ranges = [];
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2 ||
                !int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from) ||
                (bounds.Length == 2 && !int.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                error = $"pages must look like '1-3,7'; '{part}' is not a page or range";
                return false;
            }

            var to = bounds.Length == 2 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : from;
            if (from < 1 || to < from)
            {
                error = $"pages must look like '1-3,7'; '{part}' is not a valid range";
                return false;
            }

            ranges.Add((from, to));
        }

        return true;
    }
}
