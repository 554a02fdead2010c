using System.Text;

namespace Ocr.Pipeline.Documents;

/// <summary>
/// RTF to plain text: groups, control words, hex escapes through the document's code page,
/// \uN with \ucN, and skipped destinations (font tables, pictures, field instructions...).
/// </summary>
public static class RtfConverter
{
    private static readonly HashSet<string> SkippedDestinations = new(StringComparer.Ordinal)
    {
        "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "themedata", "colorschememapping",
        "datastore", "latentstyles", "listtable", "listoverridetable", "rsidtbl", "generator", "xmlnstbl",
        "mmathPr", "fldinst", "filetbl", "revtbl", "header", "footer", "headerl", "headerr", "headerf",
        "footerl", "footerr", "footerf", "pgdsctbl", "listtext", "pntext", "pntxta", "pntxtb", "bkmkstart",
        "bkmkend", "shppict", "nonshppict", "blipuid", "xe", "tc", "template", "docvar", "userprops", "wgrffmtfilter",
        "fchars", "lchars", "protusertbl", "ftnsep", "ftnsepc", "ftncn", "aftnsep", "aftnsepc", "aftncn", "sp", "sn", "sv",
    };

    static RtfConverter() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>Converts an RTF document; throws <see cref="OcrDocumentException"/> on malformed input.</summary>
    public static string ToPlainText(string rtf)
    {
        var trimmed = rtf.TrimStart();
        if (!trimmed.StartsWith("{\\rtf", StringComparison.Ordinal))
        {
            throw new OcrDocumentException("the RTF file does not start with '{\\rtf'");
        }

        var output = new StringBuilder(rtf.Length / 4);
        var pendingBytes = new List<byte>();
        var encoding = Encoding.GetEncoding(1252);
        var stack = new Stack<(bool Skip, int UnicodeSkip)>();
        var skip = false;
        var unicodeSkip = 1;
        var charsToSkip = 0;
        var depth = 0;

        void FlushBytes()
        {
            if (pendingBytes.Count > 0)
            {
                output.Append(encoding.GetString(pendingBytes.ToArray()));
                pendingBytes.Clear();
            }
        }

        void Emit(string text)
        {
            FlushBytes();
            if (!skip)
            {
                output.Append(text);
            }
        }

        var i = 0;
        while (i < trimmed.Length)
        {
            var c = trimmed[i];
            switch (c)
            {
                case '{':
                    FlushBytes();
                    stack.Push((skip, unicodeSkip));
                    depth++;
                    i++;
                    break;
                case '}':
                    FlushBytes();
                    if (stack.Count == 0)
                    {
                        throw new OcrDocumentException("the RTF file has an unbalanced '}'");
                    }

                    (skip, unicodeSkip) = stack.Pop();
                    depth--;
                    i++;
                    if (depth == 0)
                    {
                        i = trimmed.Length;
                    }

                    break;
                case '\\':
                    i = ControlSymbol(trimmed, i + 1);
                    break;
                case '\r' or '\n':
                    i++;
                    break;
                default:
                    if (charsToSkip > 0)
                    {
                        charsToSkip--;
                    }
                    else
                    {
                        Emit(c.ToString());
                    }

                    i++;
                    break;
            }
        }

        if (depth != 0)
        {
            throw new OcrDocumentException("the RTF file is truncated (a group is never closed)");
        }

        FlushBytes();
        return Normalize(output.ToString());

        int ControlSymbol(string s, int at)
        {
            if (at >= s.Length)
            {
                throw new OcrDocumentException("the RTF file ends inside a control word");
            }

            var symbol = s[at];
            if (symbol == '\'')
            {
                if (at + 2 >= s.Length || !byte.TryParse(s.AsSpan(at + 1, 2), System.Globalization.NumberStyles.HexNumber, null, out var value))
                {
                    throw new OcrDocumentException("the RTF file has a malformed \\'hh escape");
                }

                if (charsToSkip > 0)
                {
                    charsToSkip--;
                }
                else if (!skip)
                {
                    pendingBytes.Add(value);
                }

                return at + 3;
            }

            if (!char.IsAsciiLetter(symbol))
            {
                switch (symbol)
                {
                    case '\\' or '{' or '}':
                        Emit(symbol.ToString());
                        break;
                    case '~':
                        Emit(" ");
                        break;
                    case '_':
                        Emit("-");
                        break;
                    case '*':
                        skip = true;
                        break;
                    case '\r' or '\n':
                        Emit("\n");
                        break;
                }

                return at + 1;
            }

            var start = at;
            while (at < s.Length && char.IsAsciiLetter(s[at]))
            {
                at++;
            }

            var word = s[start..at];
            int? parameter = null;
            var numberStart = at;
            if (at < s.Length && (s[at] == '-' || char.IsAsciiDigit(s[at])))
            {
                at++;
                while (at < s.Length && char.IsAsciiDigit(s[at]))
                {
                    at++;
                }

                if (int.TryParse(s.AsSpan(numberStart, at - numberStart), out var number))
                {
                    parameter = number;
                }
            }

            if (at < s.Length && s[at] == ' ')
            {
                at++;
            }

            Word(word, parameter);
            return at;
        }

        void Word(string word, int? parameter)
        {
            if (SkippedDestinations.Contains(word))
            {
                FlushBytes();
                skip = true;
                return;
            }

            switch (word)
            {
                case "par" or "line" or "row" or "sect" or "page":
                    Emit("\n");
                    break;
                case "tab":
                    Emit("\t");
                    break;
                case "cell" or "nestcell":
                    // Table cells are kept apart with '|' (the convention of common RTF-to-text tools).
                    Emit("|");
                    break;
                case "emdash":
                    Emit("\u2014");
                    break;
                case "endash":
                    Emit("\u2013");
                    break;
                case "bullet":
                    Emit("\u2022");
                    break;
                case "lquote":
                    Emit("\u2018");
                    break;
                case "rquote":
                    Emit("\u2019");
                    break;
                case "ldblquote":
                    Emit("\u201C");
                    break;
                case "rdblquote":
                    Emit("\u201D");
                    break;
                case "uc":
                    unicodeSkip = Math.Max(0, parameter ?? 1);
                    break;
                case "ansicpg" when parameter is > 0:
                    try
                    {
                        FlushBytes();
                        encoding = Encoding.GetEncoding(parameter.Value);
                    }
                    catch (NotSupportedException)
                    {
                        encoding = Encoding.GetEncoding(1252);
                    }

                    break;
                case "u" when parameter is not null:
                    var code = parameter.Value < 0 ? parameter.Value + 65536 : parameter.Value;
                    Emit(((char)code).ToString());
                    charsToSkip = unicodeSkip;
                    break;
            }
        }
    }

    private static string Normalize(string text)
    {
        var lines = text.Replace("\r", string.Empty).Split('\n').Select(line => line.TrimEnd(' ', '\t'));
        return string.Join('\n', lines).Trim('\n');
    }
}
