using System.Security.Cryptography;

namespace Ocr.Pipeline.Neural;

/// <summary>Thrown at start-up when a model set is missing, incomplete or altered.</summary>
public sealed class NeuralModelException(string message) : Exception(message);

/// <summary>
/// One detection + recognition model pair with its character dictionary, read from
/// <c>models/NAME/</c> and checked against that folder's SHA256SUMS before any session opens.
/// </summary>
public sealed record NeuralModelSet(string Name, string Folder, IReadOnlyList<string> Characters)
{
    public const string DetectionFile = "det.onnx";
    public const string RecognitionFile = "rec.onnx";
    public const string OrientationFile = "cls.onnx";
    public const string DictionaryFile = "keys.txt";
    public const string ChecksumFile = "SHA256SUMS";

    private static readonly string[] RequiredFiles = [DetectionFile, RecognitionFile, OrientationFile, DictionaryFile];

    public string DetectionPath => Path.Combine(Folder, DetectionFile);

    public string RecognitionPath => Path.Combine(Folder, RecognitionFile);

    public string OrientationPath => Path.Combine(Folder, OrientationFile);

    /// <summary>Loads and verifies the set <paramref name="name"/> under <paramref name="modelsRoot"/>.</summary>
    public static NeuralModelSet Load(string modelsRoot, string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains("..", StringComparison.Ordinal) || name.IndexOfAny(['/', '\\']) >= 0)
        {
            throw new NeuralModelException($"model name '{name}' is not a folder name under {modelsRoot}");
        }

        var folder = Path.GetFullPath(Path.Combine(modelsRoot, name));
        if (!Directory.Exists(folder))
        {
            var known = Directory.Exists(modelsRoot)
                ? string.Join(", ", Directory.GetDirectories(modelsRoot).Select(Path.GetFileName))
                : "none: the folder does not exist";
            throw new NeuralModelException($"model set '{name}' not found in {modelsRoot} (available: {known})");
        }

        var sums = ReadChecksums(folder);
        foreach (var file in RequiredFiles)
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                throw new NeuralModelException($"model set '{name}' lacks {file} in {folder}");
            }

            if (!sums.TryGetValue(file, out var expected))
            {
                throw new NeuralModelException($"model set '{name}': {ChecksumFile} has no sha256 for {file}");
            }

            var actual = Sha256Of(path);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new NeuralModelException($"model set '{name}': {file} has sha256 {actual}, expected {expected} (damaged or replaced file)");
            }
        }

        var characters = File.ReadAllLines(Path.Combine(folder, DictionaryFile))
            .Select(line => line.TrimEnd('\r', '\n'))
            .ToList();
        if (characters.Count == 0)
        {
            throw new NeuralModelException($"model set '{name}': {DictionaryFile} is empty");
        }

        // PaddleOCR recognition models end their alphabet with the space character.
        characters.Add(" ");
        return new NeuralModelSet(name, folder, characters);
    }

    private static Dictionary<string, string> ReadChecksums(string folder)
    {
        var path = Path.Combine(folder, ChecksumFile);
        if (!File.Exists(path))
        {
            throw new NeuralModelException($"{path} is missing: model files cannot be verified");
        }

        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2)
            {
                sums[parts[1].TrimStart('*').Trim()] = parts[0];
            }
        }

        return sums;
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
