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
/// Looks for an NVIDIA GPU without throwing: NVML (libnvidia-ml) first, then nvidia-smi.
/// A machine without either simply has no GPU.
/// </summary>
public static class GpuDetector
{
    public static GpuStatus Detect(double thresholdGb)
    {
        var now = DateTimeOffset.UtcNow;
        if (NativeLibrary.TryLoad("libnvidia-ml.so.1", out var nvml))
        {
            NativeLibrary.Free(nvml);
            var smi = QueryNvidiaSmi();
            if (smi is not null)
            {
                return smi with { ThresholdGb = thresholdGb, PassesThreshold = smi.FreeMemoryGb >= thresholdGb, Method = "nvml+nvidia-smi", CheckedAt = now };
            }
        }

        var viaSmi = QueryNvidiaSmi();
        if (viaSmi is not null)
        {
            return viaSmi with { ThresholdGb = thresholdGb, PassesThreshold = viaSmi.FreeMemoryGb >= thresholdGb, CheckedAt = now };
        }

        return new GpuStatus(false, null, null, null, null, thresholdGb, false, "nvml,nvidia-smi",
            "no NVIDIA driver found (libnvidia-ml.so.1 and nvidia-smi are absent)", now);
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
            return new GpuStatus(true, parts[0], Math.Round(total, 2), Math.Round(free, 2), parts[3], 0, false, "nvidia-smi",
                "GPU found; the installed ONNX Runtime build is CPU-only, so OCR runs on the CPU", DateTimeOffset.UtcNow);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or FormatException or InvalidOperationException)
        {
            return null;
        }
    }
}
