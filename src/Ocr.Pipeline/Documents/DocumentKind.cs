namespace Ocr.Pipeline.Documents;

public enum DocumentKind
{
    Pdf,
    Image,
    Tiff,
    Text,
    Rtf,
}
