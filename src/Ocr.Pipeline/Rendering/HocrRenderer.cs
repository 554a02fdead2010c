using System.Globalization;
using System.Net;
using System.Text;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Rendering;

/// <summary>hOCR 1.2: ocr_page → ocr_carea → ocr_par → ocr_line → ocrx_word, boxes in the page's pixels.</summary>
public static class HocrRenderer
{
    public static string Render(ResultDocument document)
    {
        var html = new StringBuilder();
        html.Append("""
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
            <html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
            <head>
            <title></title>
            <meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>

            """);
        html.Append(CultureInfo.InvariantCulture, $"<meta name=\"ocr-system\" content=\"AkkaOcr; {Escape(document.ModelUsed)}\"/>\n");
        html.Append("<meta name=\"ocr-capabilities\" content=\"ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf\"/>\n</head>\n<body>\n");
        foreach (var page in document.Pages)
        {
            var p = page.PageNumber;
            var resolution = page.Dpi is { } dpi ? $"; scan_res {dpi} {dpi}" : "";
            html.Append(CultureInfo.InvariantCulture,
                $"<div class=\"ocr_page\" id=\"page_{p}\" title=\"bbox 0 0 {page.Width} {page.Height}; ppageno {p - 1}{resolution}\">\n");
            var (b, l, w) = (0, 0, 0);
            foreach (var block in page.Blocks ?? [])
            {
                b++;
                html.Append(CultureInfo.InvariantCulture, $"<div class=\"ocr_carea\" id=\"block_{p}_{b}\" title=\"{Bbox(block.Box)}\">\n");
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"ocr_par\" id=\"par_{p}_{b}\" title=\"{Bbox(block.Box)}\">\n");
                foreach (var line in block.Lines)
                {
                    l++;
                    html.Append(CultureInfo.InvariantCulture, $"<span class=\"ocr_line\" id=\"line_{p}_{l}\" title=\"{Bbox(line.Box)}\">");
                    var first = true;
                    foreach (var word in line.Words)
                    {
                        w++;
                        html.Append(first ? "" : " ");
                        first = false;
                        html.Append(CultureInfo.InvariantCulture,
                            $"<span class=\"ocrx_word\" id=\"word_{p}_{w}\" title=\"{Bbox(word.Box)}; x_wconf {Math.Round(word.Confidence * 100):0}\">{Escape(word.Text)}</span>");
                    }

                    html.Append("</span>\n");
                }

                html.Append("</p>\n</div>\n");
            }

            html.Append("</div>\n");
        }

        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static string Bbox(Box box) => string.Create(CultureInfo.InvariantCulture, $"bbox {box.X0} {box.Y0} {box.X1} {box.Y1}");

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
