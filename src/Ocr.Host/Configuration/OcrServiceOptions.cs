using System.ComponentModel.DataAnnotations;

namespace Ocr.Host.Configuration;

/// <summary>
/// The service's settings (section "Ocr"). Defaults equal SPEC.md's; the legacy flat
/// environment names (OCR_MAX_CONCURRENT_JOBS, ...) are mapped onto this section by
/// <see cref="LegacyEnvironment"/>.
/// </summary>
public sealed class OcrServiceOptions : IValidatableObject
{
    public const string Section = "Ocr";

    [Required(AllowEmptyStrings = false, ErrorMessage = "JWT_SECRET_KEY is required (the HS256 key that signs the portal's tokens)")]
    public string? JwtSecretKey { get; set; }

    public string JwtAlgorithm { get; set; } = "HS256";

    public string? RedisUrl { get; set; }

    [Range(0, 15)]
    public int RedisDb { get; set; } = 2;

    /// <summary>Prefix of every Redis key and channel of this deployment (several deployments may share one Redis).</summary>
    [RegularExpression("^[A-Za-z0-9_.:-]{1,64}$", ErrorMessage = "OCR_REDIS_PREFIX must be 1-64 letters, digits or _ . : -")]
    public string RedisPrefix { get; set; } = "akkaocr";

    /// <summary>This node's address as the other nodes reach it (cluster mode); unset: the host name.</summary>
    public string? ClusterHost { get; set; }

    [Range(1, 65535)]
    public int ClusterPort { get; set; } = 4053;

    /// <summary>Comma-separated host:port seed nodes; empty, or naming this node, lets it start the cluster alone.</summary>
    public string ClusterSeeds { get; set; } = "";

    /// <summary>The name shown for this node; unset: host:port.</summary>
    public string? NodeName { get; set; }

    /// <summary>Where uploads are kept until cleanup; in cluster mode a directory every node sees. Unset: DataDir/uploads.</summary>
    public string? UploadsDir { get; set; }

    public bool ClusterMode => !string.IsNullOrWhiteSpace(RedisUrl);

    /// <summary>REDIS_URL as a StackExchange.Redis configuration string (null in the embedded mode, or when it cannot be used).</summary>
    public string? RedisConfiguration => ClusterMode ? Actors.Persistence.RedisConnection.Parse(RedisUrl!).Configuration : null;

    public string EffectiveClusterHost => string.IsNullOrWhiteSpace(ClusterHost) ? System.Net.Dns.GetHostName() : ClusterHost.Trim();

    public string EffectiveNodeName => !string.IsNullOrWhiteSpace(NodeName) ? NodeName.Trim()
        : ClusterMode ? $"{EffectiveClusterHost}:{ClusterPort}" : $"{System.Net.Dns.GetHostName()}:{Environment.ProcessId}";

    public string EffectiveUploadsDir => Path.GetFullPath(string.IsNullOrWhiteSpace(UploadsDir) ? Path.Combine(DataDir, "uploads") : UploadsDir);

    [Range(1, 4096)]
    public int MaxFileSizeMb { get; set; } = 50;

    public string AllowedExtensions { get; set; } = ".txt,.rtf,.pdf,.jpg,.jpeg,.png,.bmp,.tiff,.tif";

    [Range(0, 1024)]
    public double GpuThreshold { get; set; } = 0.5;

    /// <summary>Neural model set (a folder under the models directory) used on a GPU.</summary>
    public string ModelGpu { get; set; } = "ppocr-v4";

    /// <summary>What `engine=auto` runs without a usable GPU: `tesseract`, or a neural model set name.</summary>
    public string ModelCpu { get; set; } = "tesseract";

    /// <summary>Folder holding the model sets; unset: `models/` beside the program or in a folder above it.</summary>
    public string? ModelsDir { get; set; }

    [RegularExpression("(?i)^(auto|cpu|cuda)$", ErrorMessage = "OCR_EXECUTION_PROVIDER must be auto, cpu or cuda")]
    public string ExecutionProvider { get; set; } = "auto";

    /// <summary>Pages read by `engine=auto` below this confidence are read again by the other engine; 0 = never.</summary>
    [Range(0.0, 1.0)]
    public double EscalateBelow { get; set; } = 0.95;

    /// <summary>Pages in neural text detection at once, and recognition batches in flight; 0 = one per core.</summary>
    [Range(0, 256)]
    public int NeuralWorkers { get; set; }

    [Range(1, 256)]
    public int NeuralBatch { get; set; } = 16;

    public bool CpuEngineIsTesseract => string.Equals(ModelCpu, "tesseract", StringComparison.OrdinalIgnoreCase);

    [Range(1, 64)]
    public int MaxConcurrentJobs { get; set; } = 3;

    [Range(1, 100_000)]
    public int MaxQueuedJobs { get; set; } = 100;

    [Range(1, 86_400)]
    public int JobTimeout { get; set; } = 300;

    [Range(0, 86_400 * 30)]
    public int CleanupDelay { get; set; } = 60;

    /// <summary>Days after which a finished job is deleted as by DELETE (fractions allowed); 0 keeps jobs forever.</summary>
    [Range(0.0, 36_500.0)]
    public double ResultRetentionDays { get; set; } = 30;

    [Range(50, 1200)]
    public int PdfDpi { get; set; } = 400;

    [RegularExpression("(?i)^(PNG|PGM|PPM|JPEG|JPG|TIFF|TIF)$", ErrorMessage = "OCR_PDF_FORMAT must be PNG, PGM, JPEG or TIFF")]
    public string PdfFormat { get; set; } = "PNG";

    [RegularExpression("(?i)^(auto|ignore)$", ErrorMessage = "OCR_PDF_TEXT_LAYER must be auto or ignore")]
    public string PdfTextLayer { get; set; } = "auto";

    [RegularExpression("(?i)^(auto|none|full)$", ErrorMessage = "OCR_PREPROCESS must be auto, none or full")]
    public string Preprocess { get; set; } = "auto";

    [Range(1_000_000, 1_000_000_000)]
    public long MaxPagePixels { get; set; } = 60_000_000;

    [Range(0, 256)]
    public int Engines { get; set; }

    [Range(1, 10)]
    public int PageAttempts { get; set; } = 3;

    public string DataDir { get; set; } = "./data";

    public bool Debug { get; set; }

    /// <summary>Console log lines as text (default) or as JSON objects, one per line, properties included.</summary>
    [RegularExpression("(?i)^(text|json)$", ErrorMessage = "OCR_LOG_FORMAT must be text or json")]
    public string LogFormat { get; set; } = "text";

    /// <summary>Whether log lines may name uploaded files (often a patient's name): off unless debugging.</summary>
    public bool LogFileNames { get; set; }

    public string AllowedHosts { get; set; } = "localhost,127.0.0.1";

    public string CorsAllowedOrigins { get; set; } = "";

    public string? SecretKey { get; set; }

    public string? DatabaseServiceUrl { get; set; }

    public string? DatabaseServiceToken { get; set; }

    public string? FileServiceUrl { get; set; }

    public long MaxFileSizeBytes => MaxFileSizeMb * 1024L * 1024L;

    public IReadOnlySet<string> AllowedExtensionSet => AllowedExtensions
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(e => (e.StartsWith('.') ? e : "." + e).ToLowerInvariant())
        .ToHashSet();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.Equals(JwtAlgorithm, "HS256", StringComparison.Ordinal))
        {
            yield return new ValidationResult($"JWT_ALGORITHM '{JwtAlgorithm}' is not supported: HS256 is the only algorithm accepted", [nameof(JwtAlgorithm)]);
        }

        if (ClusterMode && Actors.Persistence.RedisConnection.Parse(RedisUrl!).Error is { } redisError)
        {
            yield return new ValidationResult($"REDIS_URL: {redisError}", [nameof(RedisUrl)]);
        }

        foreach (var seed in ClusterSeeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = seed.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(seed[(colon + 1)..], out var port) || port is < 1 or > 65535)
            {
                yield return new ValidationResult($"OCR_CLUSTER_SEEDS: '{seed}' is not host:port", [nameof(ClusterSeeds)]);
            }
        }

        var unknown = AllowedExtensionSet.Where(e => Pipeline.Documents.FileTypes.KindOf(e) is null).ToList();
        if (unknown.Count > 0)
        {
            yield return new ValidationResult($"OCR_ALLOWED_EXTENSIONS names extensions the service cannot read: {string.Join(", ", unknown)}", [nameof(AllowedExtensions)]);
        }
    }
}
