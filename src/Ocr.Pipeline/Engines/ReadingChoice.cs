namespace Ocr.Pipeline.Engines;

/// <summary>How the service picks among several readings of one page (recipes, or engines).</summary>
internal static class ReadingChoice
{
    /// <summary>
    /// The most confident reading among those that found at least 70 % of the most letters any
    /// reading found (confidence alone favours short readings); the earlier one on a tie.
    /// </summary>
    public static T MostConfident<T>(IReadOnlyList<T> readings, Func<T, int> letters, Func<T, double> confidence)
    {
        var most = readings.Max(letters);
        return readings.Where(r => letters(r) >= most * 0.7).MaxBy(confidence)!;
    }
}
