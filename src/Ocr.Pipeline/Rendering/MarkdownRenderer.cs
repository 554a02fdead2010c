using System.Text;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Rendering;

/// <summary>
/// Markdown from the layout: each block a paragraph (its lines joined, a hyphen at a line's end
/// joining the word), a short block set in larger type than the page's body a heading, pages
/// divided by a rule. Pages without positions give their text's paragraphs as they are.
/// </summary>
public static class MarkdownRenderer
{
    // A heading's lines are at least this much taller than the page's usual line.
    private const double HeadingHeight = 1.35;

    private const int HeadingMaxWords = 12;

    public static string Render(ResultDocument document)
    {
        var markdown = new StringBuilder();
        foreach (var page in document.Pages)
        {
            if (markdown.Length > 0)
            {
                markdown.Append("\n---\n\n");
            }

            foreach (var paragraph in Paragraphs(page))
            {
                markdown.Append(paragraph).Append("\n\n");
            }
        }

        return markdown.ToString().TrimEnd() + "\n";
    }

    private static IEnumerable<string> Paragraphs(PageModel page)
    {
        if (page.Blocks is not { Count: > 0 } blocks)
        {
            foreach (var paragraph in page.Text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                yield return paragraph;
            }

            yield break;
        }

        var heights = blocks.SelectMany(b => b.Lines).Select(l => l.Box.Height).Order().ToList();
        var body = heights.Count == 0 ? 0 : heights[heights.Count / 2];
        foreach (var block in blocks)
        {
            var text = Joined(block.Lines);
            if (text.Length == 0)
            {
                continue;
            }

            var words = block.Lines.Sum(l => l.Words.Count);
            var isHeading = body > 0 && block.Lines.Count <= 2 && words <= HeadingMaxWords
                && block.Lines.Average(l => l.Box.Height) >= body * HeadingHeight && text.Any(char.IsLetter);
            yield return isHeading ? $"## {text}" : text;
        }
    }

    private static string Joined(IEnumerable<TextLine> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines.Select(l => l.Text.Trim()).Where(l => l.Length > 0))
        {
            if (text.Length > 0 && text[^1] == '-' && text.Length > 1 && char.IsLetter(text[^2]) && char.IsLower(line[0]))
            {
                text.Length--;
            }
            else if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(line);
        }

        return text.ToString();
    }
}
