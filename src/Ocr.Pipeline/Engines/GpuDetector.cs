using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Ocr.Pipeline.Engines;

/// <summary>What GPU detection found, and whether the neural engine may use it.</summary>
public sealed record GpuStatus(
    bool Detected,
    string? Name,
    double? TotalMemoryGb,
    double? FreeMemoryGb,
    string? Driver,
    double ThresholdGb,
    bool PassesThreshold,
    string Method,
    string Reason,
    DateTimeOffset CheckedAt);

/// <summary>
/// Looks for an NVIDIA GPU without throwing: NVML (libnvidia-ml, called directly) first, then
/// nvidia-smi. A machine without either simply has no GPU.
/// </summary>
public static class GpuDetector
{
    public static GpuStatus Detect(double thresholdGb)
    {
        var found = QueryNvml() ?? QueryNvidiaSmi();
        if (found is null)
        {
            return new GpuStatus(false, null, null, null, null, thresholdGb, false, "nvml,nvidia-smi",
                "no NVIDIA driver found (libnvidia-ml.so.1 and nvidia-smi are absent or report no device)", DateTimeOffset.UtcNow);
        }

        var passes = found.FreeMemoryGb >= thresholdGb;
        var reason = passes
            ? $"{found.Name}: {found.FreeMemoryGb:F1} GB free ≥ threshold {thresholdGb} GB"
            : $"{found.Name}: {found.FreeMemoryGb:F1} GB free < threshold {thresholdGb} GB (OCR_GPU_THRESHOLD)";
        return found with { ThresholdGb = thresholdGb, PassesThreshold = passes, Reason = reason, CheckedAt = DateTimeOffset.UtcNow };
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlMemory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }

    private static unsafe GpuStatus? QueryNvml()
    {
        if (!NativeLibrary.TryLoad("libnvidia-ml.so.1", out var library))
        {
            return null;
        }

        try
        {
            if (!NativeLibrary.TryGetExport(library, "nvmlInit_v2", out var init)
                || !NativeLibrary.TryGetExport(library, "nvmlShutdown", out var shutdown)
                || !NativeLibrary.TryGetExport(library, "nvmlDeviceGetCount_v2", out var getCount)
                || !NativeLibrary.TryGetExport(library, "nvmlDeviceGetHandleByIndex_v2", out var getHandle)
                || !NativeLibrary.TryGetExport(library, "nvmlDeviceGetName", out var getName)
                || !NativeLibrary.TryGetExport(library, "nvmlDeviceGetMemoryInfo", out var getMemory)
                || !NativeLibrary.TryGetExport(library, "nvmlSystemGetDriverVersion", out var getDriver))
            {
                return null;
            }

            if (((delegate* unmanaged<int>)init)() != 0)
            {
                return null;
            }

            try
            {
                uint count;
                if (((delegate* unmanaged<uint*, int>)getCount)(&count) != 0 || count == 0)
                {
                    return null;
                }

                // The neural engine uses device 0, so that is the one reported and compared.
                IntPtr device;
                if (((delegate* unmanaged<uint, IntPtr*, int>)getHandle)(0, &device) != 0)
                {
                    return null;
                }

                var name = stackalloc byte[96];
                var driver = stackalloc byte[80];
                NvmlMemory memory;
                if (((delegate* unmanaged<IntPtr, byte*, uint, int>)getName)(device, name, 96) != 0
                    || ((delegate* unmanaged<IntPtr, NvmlMemory*, int>)getMemory)(device, &memory) != 0)
                {
                    return null;
                }

                var driverText = ((delegate* unmanaged<byte*, uint, int>)getDriver)(driver, 80) == 0
                    ? Marshal.PtrToStringUTF8((IntPtr)driver)
                    : null;
                const double gb = 1024.0 * 1024 * 1024;
                return new GpuStatus(true, Marshal.PtrToStringUTF8((IntPtr)name), Math.Round(memory.Total / gb, 2), Math.Round(memory.Free / gb, 2),
                    driverText, 0, false, $"nvml ({count} device(s))", "", DateTimeOffset.UtcNow);
            }
            finally
            {
                ((delegate* unmanaged<int>)shutdown)();
            }
        }
        finally
        {
            NativeLibrary.Free(library);
        }
    }

    private static GpuStatus? QueryNvidiaSmi()
    {
        try
        {
            var start = new ProcessStartInfo("nvidia-smi", "--query-gpu=name,memory.total,memory.free,driver_version --format=csv,noheader,nounits")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start);
            if (process is null || !process.WaitForExit(5000) || process.ExitCode != 0)
            {
                return null;
            }

            var line = process.StandardOutput.ReadLine();
            var parts = line?.Split(',', StringSplitOptions.TrimEntries);
            if (parts is not { Length: >= 4 })
            {
                return null;
            }

            var total = double.Parse(parts[1], CultureInfo.InvariantCulture) / 1024.0;
            var free = double.Parse(parts[2], CultureInfo.InvariantCulture) / 1024.0;
            return new GpuStatus(true, parts[0], Math.Round(total, 2), Math.Round(free, 2), parts[3], 0, false, "nvidia-smi", "", DateTimeOffset.UtcNow);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or FormatException or InvalidOperationException)
        {
            return null;
        }
    }
}
