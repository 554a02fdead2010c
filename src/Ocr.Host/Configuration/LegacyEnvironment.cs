namespace Ocr.Host.Configuration;

/// <summary>Maps the old service's flat environment names onto the "Ocr" section, in one place.</summary>
public static class LegacyEnvironment
{
    private static readonly Dictionary<string, string> Names = new()
    {
        ["JWT_SECRET_KEY"] = nameof(OcrServiceOptions.JwtSecretKey),
        ["JWT_ALGORITHM"] = nameof(OcrServiceOptions.JwtAlgorithm),
        ["REDIS_URL"] = nameof(OcrServiceOptions.RedisUrl),
        ["OCR_REDIS_DB"] = nameof(OcrServiceOptions.RedisDb),
        ["OCR_REDIS_PREFIX"] = nameof(OcrServiceOptions.RedisPrefix),
        ["OCR_CLUSTER_HOST"] = nameof(OcrServiceOptions.ClusterHost),
        ["OCR_CLUSTER_PORT"] = nameof(OcrServiceOptions.ClusterPort),
        ["OCR_CLUSTER_SEEDS"] = nameof(OcrServiceOptions.ClusterSeeds),
        ["OCR_NODE_NAME"] = nameof(OcrServiceOptions.NodeName),
        ["OCR_UPLOADS_DIR"] = nameof(OcrServiceOptions.UploadsDir),
        ["OCR_MAX_FILE_SIZE_MB"] = nameof(OcrServiceOptions.MaxFileSizeMb),
        ["OCR_ALLOWED_EXTENSIONS"] = nameof(OcrServiceOptions.AllowedExtensions),
        ["OCR_GPU_THRESHOLD"] = nameof(OcrServiceOptions.GpuThreshold),
        ["OCR_MODEL_GPU"] = nameof(OcrServiceOptions.ModelGpu),
        ["OCR_MODEL_CPU"] = nameof(OcrServiceOptions.ModelCpu),
        ["OCR_MODELS_DIR"] = nameof(OcrServiceOptions.ModelsDir),
        ["OCR_EXECUTION_PROVIDER"] = nameof(OcrServiceOptions.ExecutionProvider),
        ["OCR_ESCALATE_BELOW"] = nameof(OcrServiceOptions.EscalateBelow),
        ["OCR_NEURAL_WORKERS"] = nameof(OcrServiceOptions.NeuralWorkers),
        ["OCR_NEURAL_BATCH"] = nameof(OcrServiceOptions.NeuralBatch),
        ["OCR_MAX_CONCURRENT_JOBS"] = nameof(OcrServiceOptions.MaxConcurrentJobs),
        ["OCR_MAX_QUEUED_JOBS"] = nameof(OcrServiceOptions.MaxQueuedJobs),
        ["OCR_JOB_TIMEOUT"] = nameof(OcrServiceOptions.JobTimeout),
        ["OCR_CLEANUP_DELAY"] = nameof(OcrServiceOptions.CleanupDelay),
        ["OCR_RESULT_RETENTION_DAYS"] = nameof(OcrServiceOptions.ResultRetentionDays),
        ["OCR_PDF_DPI"] = nameof(OcrServiceOptions.PdfDpi),
        ["OCR_PDF_FORMAT"] = nameof(OcrServiceOptions.PdfFormat),
        ["OCR_PDF_TEXT_LAYER"] = nameof(OcrServiceOptions.PdfTextLayer),
        ["OCR_PREPROCESS"] = nameof(OcrServiceOptions.Preprocess),
        ["OCR_MAX_PAGE_PIXELS"] = nameof(OcrServiceOptions.MaxPagePixels),
        ["OCR_ENGINES"] = nameof(OcrServiceOptions.Engines),
        ["OCR_PAGE_ATTEMPTS"] = nameof(OcrServiceOptions.PageAttempts),
        ["OCR_DATA_DIR"] = nameof(OcrServiceOptions.DataDir),
        ["DEBUG"] = nameof(OcrServiceOptions.Debug),
        ["OCR_LOG_FORMAT"] = nameof(OcrServiceOptions.LogFormat),
        ["OCR_LOG_FILE_NAMES"] = nameof(OcrServiceOptions.LogFileNames),
        ["ALLOWED_HOSTS"] = nameof(OcrServiceOptions.AllowedHosts),
        ["CORS_ALLOWED_ORIGINS"] = nameof(OcrServiceOptions.CorsAllowedOrigins),
        ["SECRET_KEY"] = nameof(OcrServiceOptions.SecretKey),
        ["DATABASE_SERVICE_URL"] = nameof(OcrServiceOptions.DatabaseServiceUrl),
        ["DATABASE_SERVICE_TOKEN"] = nameof(OcrServiceOptions.DatabaseServiceToken),
        ["FILE_SERVICE_URL"] = nameof(OcrServiceOptions.FileServiceUrl),
    };

    public static IConfigurationBuilder AddLegacyEnvironment(this IConfigurationBuilder configuration)
    {
        var values = new Dictionary<string, string?>();
        foreach (var (variable, property) in Names)
        {
            var value = Environment.GetEnvironmentVariable(variable);
            if (value is not null)
            {
                values[$"{OcrServiceOptions.Section}:{property}"] = property is nameof(OcrServiceOptions.Debug) or nameof(OcrServiceOptions.LogFileNames) ? IsTrue(value).ToString() : value;
            }
        }

        return configuration.AddInMemoryCollection(values);
    }

    private static bool IsTrue(string value) => Switch(value) is true;

    /// <summary>An on/off setting's value: true or false for the words accepted, null for anything else.</summary>
    internal static bool? Switch(string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => null,
    };
}
