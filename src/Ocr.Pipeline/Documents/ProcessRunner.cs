using System.Diagnostics;

namespace Ocr.Pipeline.Documents;

/// <summary>Runs a helper program (poppler) and kills it, with its children, when cancelled.</summary>
public static class ProcessRunner
{
    public sealed record Outcome(int ExitCode, string StandardOutput, string StandardError);

    public static async Task<Outcome> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        using var process = Start(program, arguments);
        await using var registration = KillOnCancel(process, cancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        await process.WaitForExitAsync(CancellationToken.None);
        cancellationToken.ThrowIfCancellationRequested();
        return new Outcome(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Runs a program whose standard output is binary and read as it comes by <paramref name="readOutput"/>.
    /// Output that cannot be read (the program failed, or wrote something else) gives a null result beside the exit code.
    /// </summary>
    public static async Task<(Outcome Outcome, T? Output)> RunReadingAsync<T>(string program, IEnumerable<string> arguments,
        Func<Stream, CancellationToken, Task<T>> readOutput, CancellationToken cancellationToken)
        where T : class, IDisposable
    {
        using var process = Start(program, arguments);
        await using var registration = KillOnCancel(process, cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        T? output = null;
        try
        {
            output = await readOutput(process.StandardOutput.BaseStream, cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            // Nothing more is read: a program still writing would block on the full pipe.
            Kill(process);
        }
        catch
        {
            Kill(process);
            throw;
        }

        await process.WaitForExitAsync(CancellationToken.None);
        if (cancellationToken.IsCancellationRequested)
        {
            output?.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
        }

        return (new Outcome(process.ExitCode, string.Empty, await stderr), output);
    }

    private static Process Start(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new OcrDocumentException($"{program} is not installed (poppler-utils)", e);
        }

        return process;
    }

    private static CancellationTokenRegistration KillOnCancel(Process process, CancellationToken cancellationToken) =>
        cancellationToken.Register(() => Kill(process));

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }
}
