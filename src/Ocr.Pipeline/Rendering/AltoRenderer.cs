using System.Globalization;
using System.Xml;
using Ocr.Pipeline.Pages;

namespace Ocr.Pipeline.Rendering;

/// <summary>ALTO 4.4 in pixels: one Page per page, TextBlock → TextLine → String (WC 0–1) with SP between words.</summary>
public static class AltoRenderer
{
    private const string Namespace = "http://www.loc.gov/standards/alto/ns-v4#";

    public static string Render(ResultDocument document)
    {
        using var bytes = new MemoryStream();
        using (var xml = XmlWriter.Create(bytes, new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) }))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("alto", Namespace);
            xml.WriteAttributeString("xmlns", "xsi", null, "http://www.w3.org/2001/XMLSchema-instance");
            xml.WriteAttributeString("xsi", "schemaLocation", "http://www.w3.org/2001/XMLSchema-instance",
                "http://www.loc.gov/standards/alto/ns-v4# http://www.loc.gov/alto/v4/alto-4-4.xsd");
            xml.WriteStartElement("Description", Namespace);
            xml.WriteElementString("MeasurementUnit", Namespace, "pixel");
            xml.WriteStartElement("sourceImageInformation", Namespace);
            xml.WriteElementString("fileName", Namespace, document.JobId);
            xml.WriteEndElement();
            xml.WriteStartElement("Processing", Namespace);
            xml.WriteAttributeString("ID", "processing_1");
            xml.WriteStartElement("processingSoftware", Namespace);
            xml.WriteElementString("softwareName", Namespace, "AkkaOcr");
            xml.WriteElementString("softwareVersion", Namespace, document.ModelUsed);
            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteStartElement("Layout", Namespace);
            foreach (var page in document.Pages)
            {
                WritePage(xml, page);
            }

            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static void WritePage(XmlWriter xml, PageModel page)
    {
        var p = page.PageNumber;
        xml.WriteStartElement("Page", Namespace);
        xml.WriteAttributeString("ID", $"page_{p}");
        xml.WriteAttributeString("PHYSICAL_IMG_NR", p.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("WIDTH", page.Width.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("HEIGHT", page.Height.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("PC", Number(page.Confidence));
        xml.WriteStartElement("PrintSpace", Namespace);
        WriteBox(xml, new Box(0, 0, page.Width, page.Height));
        var (b, l, w) = (0, 0, 0);
        foreach (var block in page.Blocks ?? [])
        {
            xml.WriteStartElement("TextBlock", Namespace);
            xml.WriteAttributeString("ID", $"block_{p}_{++b}");
            WriteBox(xml, block.Box);
            foreach (var line in block.Lines)
            {
                xml.WriteStartElement("TextLine", Namespace);
                xml.WriteAttributeString("ID", $"line_{p}_{++l}");
                WriteBox(xml, line.Box);
                for (var i = 0; i < line.Words.Count; i++)
                {
                    if (i > 0)
                    {
                        xml.WriteStartElement("SP", Namespace);
                        xml.WriteEndElement();
                    }

                    var word = line.Words[i];
                    xml.WriteStartElement("String", Namespace);
                    xml.WriteAttributeString("ID", $"string_{p}_{++w}");
                    WriteBox(xml, word.Box);
                    xml.WriteAttributeString("CONTENT", word.Text);
                    xml.WriteAttributeString("WC", Number(word.Confidence));
                    xml.WriteEndElement();
                }

                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        xml.WriteEndElement();
        xml.WriteEndElement();
    }

    private static void WriteBox(XmlWriter xml, Box box)
    {
        xml.WriteAttributeString("HPOS", box.X0.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("VPOS", box.Y0.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("WIDTH", box.Width.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("HEIGHT", box.Height.ToString(CultureInfo.InvariantCulture));
    }

    private static string Number(double value) => Math.Clamp(Math.Round(value, 4), 0, 1).ToString("0.####", CultureInfo.InvariantCulture);
}
