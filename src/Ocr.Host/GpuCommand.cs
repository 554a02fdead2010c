using System.Text.Json;
using Ocr.Pipeline.Neural;

namespace Ocr.Host;

/// <summary>`Ocr.Host gpu [--probe MODEL_FOLDER]`: prints <see cref="GpuReport"/> as JSON.</summary>
public static class GpuCommand
{
    public static int Run(string[] args)
    {
        var probe = args.Length >= 2 && args[0] == "--probe" ? args[1] : null;
        Console.WriteLine(JsonSerializer.Serialize(GpuReport.Build(probe), new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }
}
