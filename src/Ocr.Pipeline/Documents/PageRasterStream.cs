using System.Diagnostics;
using Ocr.Pipeline.Imaging;

namespace Ocr.Pipeline.Documents;

/// <summary>
/// One pdftoppm process rendering a run of consecutive pages at one DPI to its standard output,
/// read a page at a time as the pipeline asks for them. One process start (about 80 ms of CPU:
/// poppler's start-up and parsing) per run instead of per page; the pipe's back-pressure keeps
/// poppler at most one page ahead of the reader.
/// </summary>
internal sealed class PageRasterStream : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _standardError;
    private int _killed;

    private PageRasterStream(Process process, int firstPage, int lastPage, int dpi)
    {
        _process = process;
        _standardError = process.StandardError.ReadToEndAsync(CancellationToken.None);
        NextPage = firstPage;
        LastPage = lastPage;
        Dpi = dpi;
    }

    /// <summary>The page the next read returns.</summary>
    public int NextPage { get; private set; }

    public int LastPage { get; }

    public int Dpi { get; }

    public bool Finished => NextPage > LastPage;

    public int ProcessId => _process.Id;

    public static PageRasterStream Start(string pdfPath, int firstPage, int lastPage, int dpi)
    {
        string[] arguments = [.. PdfDocument.RenderArguments(dpi, firstPage, lastPage), pdfPath];
        return new PageRasterStream(ProcessRunner.Start("pdftoppm", arguments), firstPage, lastPage, dpi);
    }

    public async Task<PageImage> ReadPageAsync(CancellationToken cancellationToken)
    {
        if (Finished)
        {
            throw new InvalidOperationException($"pages up to {LastPage} have all been read");
        }

        await using var registration = cancellationToken.Register(Kill);
        try
        {
            var image = await GraymapReader.ReadAsync(_process.StandardOutput.BaseStream, Dpi, cancellationToken);
            NextPage++;
            return image;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or ObjectDisposedException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var killedHere = Volatile.Read(ref _killed) != 0;
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
            var error = await _standardError;
            throw !killedHere && _process.ExitCode != 0
                ? new OcrPageException($"page {NextPage} could not be rendered: {PdfDocument.FirstLine(error)}")
                : new OcrPageException($"page {NextPage} was rendered but could not be read back", transient: true);
        }
    }

    private void Kill()
    {
        Interlocked.Exchange(ref _killed, 1);
        ProcessRunner.Kill(_process);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
