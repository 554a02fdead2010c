using System.Reflection;
using System.Runtime.InteropServices;
using Ocr.Host.Configuration;
using Ocr.Pipeline.Native;

namespace Ocr.Host;

/// <summary>
/// Starts the host again in place (same process id, same arguments) with glibc's malloc asked to
/// back its blocks with transparent huge pages (<c>GLIBC_TUNABLES=glibc.malloc.hugetlb=1</c>),
/// which glibc reads only when a process starts. The engines' page images and ONNX Runtime's
/// tensors are blocks of megabytes, each given back to the system once its page is done (that is
/// what keeps memory level over long jobs), so every page faulted its memory in again 4 KB at a
/// time: about a million minor faults and 4 kernel CPU-s per 24 mixed pages; with 2 MB pages a
/// third of the faults and about 6 % less CPU. glibc marks its main heap too, which
/// <see cref="NativeHeap"/> unmarks after every trim. Made only where it changes
/// something (Linux with glibc, huge pages on request); <c>OCR_MALLOC_HUGE_PAGES=false</c> turns it off.
/// </summary>
internal static class MallocHugePages
{
    public const string Setting = "OCR_MALLOC_HUGE_PAGES";
    private const string Tunables = NativeHeap.TunablesVariable;
    private const string KernelPolicy = "/sys/kernel/mm/transparent_hugepage/enabled";

    /// <summary>Why the host runs as it does; logged once it has a logger.</summary>
    public static string State { get; private set; } = "not asked";

    /// <summary>Replaces this process with itself plus the tunable when that helps; returns when it does not (or the restart failed).</summary>
    public static void RestartWithHugePagesIfUseful()
    {
        var decision = Decide(
            Environment.GetEnvironmentVariable(Setting),
            Environment.GetEnvironmentVariable(Tunables),
            OperatingSystem.IsLinux() && File.Exists(KernelPolicy) ? File.ReadAllText(KernelPolicy) : null,
            IsGlibc(),
            Assembly.GetEntryAssembly()?.GetName().Name == typeof(MallocHugePages).Assembly.GetName().Name);
        State = decision.Reason;
        if (decision.Tunables is null)
        {
            return;
        }

        // execve takes NULL-terminated arrays; /proc/self/cmdline is the arguments as started, each ending with a NUL.
        var arguments = new List<string?>(File.ReadAllText("/proc/self/cmdline").Split('\0')[..^1]) { null };
        var environment = new List<string?>();
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(name => name != Tunables))
        {
            environment.Add($"{name}={Environment.GetEnvironmentVariable(name)}");
        }

        environment.Add($"{Tunables}={decision.Tunables}");
        environment.Add(null);
        _ = execve("/proc/self/exe", [.. arguments], [.. environment]);
        State = $"restart with {Tunables} failed (errno {Marshal.GetLastPInvokeError()}): running without huge pages";
    }

    /// <summary>The setting's value when it is neither a yes nor a no (start-up stops on it), else null.</summary>
    public static string? Invalid(string? setting) => setting is null || LegacyEnvironment.Switch(setting) is not null ? null : setting;

    /// <summary>What to do, from the settings and the machine: the tunables to restart with, or null and why not.</summary>
    internal static (string? Tunables, string Reason) Decide(string? setting, string? tunables, string? kernelPolicy, bool glibc, bool isHostProgram)
    {
        var asked = setting is null ? true : LegacyEnvironment.Switch(setting);
        if (asked is not true)
        {
            return (null, asked is false ? $"off ({Setting}={setting})" : $"not asked: {Setting}='{setting}' is neither true nor false");
        }

        if (tunables?.Contains("glibc.malloc.hugetlb", StringComparison.Ordinal) == true)
        {
            return (null, $"on ({Tunables}={tunables})");
        }

        if (!isHostProgram)
        {
            return (null, "not asked: not the host's own process");
        }

        if (!glibc || kernelPolicy is null)
        {
            return (null, "not asked: not Linux with glibc");
        }

        if (!kernelPolicy.Contains("[madvise]", StringComparison.Ordinal))
        {
            return (null, kernelPolicy.Contains("[always]", StringComparison.Ordinal)
                ? "not asked: the kernel gives every process huge pages already"
                : "not asked: the kernel gives no huge pages");
        }

        return (string.IsNullOrEmpty(tunables) ? NativeHeap.HugePagesTunable : $"{tunables}:{NativeHeap.HugePagesTunable}", "restarting with huge pages");
    }

    private static bool IsGlibc()
    {
        try
        {
            return gnu_get_libc_version() != IntPtr.Zero;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc")]
    private static extern IntPtr gnu_get_libc_version();

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int execve(string path, string?[] argv, string?[] envp);
}
