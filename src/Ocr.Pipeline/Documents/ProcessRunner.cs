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

    /// <summary>Starts a program with its standard output and error redirected.</summary>
    internal static Process Start(string program, IEnumerable<string> arguments)
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

    /// <summary>Kills the program with its children; nothing when it has already exited.</summary>
    internal static void Kill(Process process)
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
