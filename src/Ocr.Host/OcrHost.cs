using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using Akka.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HostFiltering;
using Ocr.Actors.Index;
using Ocr.Actors.Jobs;
using Ocr.Actors.Persistence;
using Ocr.Actors.Progress;
using Ocr.Host.Api;
using Ocr.Host.Auth;
using Ocr.Host.Configuration;
using Ocr.Host.Health;
using Ocr.Host.Progress;
using Ocr.Pipeline;
using Akka.Actor;
using Akka.Streams;
using Ocr.Pipeline.Engines;
using Ocr.Pipeline.Neural;
using Ocr.Pipeline.Streams;
using OpenTelemetry.Metrics;
using Scalar.AspNetCore;
using Serilog;

namespace Ocr.Host;

/// <summary>Composes the service: settings, Akka, engines, auth, endpoints.</summary>
public static class OcrHost
{
    public static WebApplication? Build(string[] args)
    {
        var webRoot = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            WebRootPath = Directory.Exists(webRoot) ? webRoot : null,
        });
        builder.Configuration.AddLegacyEnvironment();
        if (string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls("http://0.0.0.0:8008");
        }

        var options = new OcrServiceOptions();
        builder.Configuration.GetSection(OcrServiceOptions.Section).Bind(options);
        var problems = new List<ValidationResult>();
        if (MallocHugePages.Invalid(Environment.GetEnvironmentVariable(MallocHugePages.Setting)) is { } hugePages)
        {
            problems.Add(new ValidationResult($"{MallocHugePages.Setting} must be true or false (got '{hugePages}')"));
        }

        Validator.TryValidateObject(options, new ValidationContext(options), problems, validateAllProperties: true);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                Console.Error.WriteLine($"Configuration error: {problem.ErrorMessage}");
            }

            return null;
        }

        var gpu = GpuDetector.Detect(options.GpuThreshold);
        var provider = ExecutionProvider.Choose(options.ExecutionProvider, gpu.PassesThreshold, gpu.Reason);
        WebApplication? app = null;
        NeuralEngine neural;
        try
        {
            var modelSet = provider.OnGpu || options.CpuEngineIsTesseract ? options.ModelGpu : options.ModelCpu;
            var models = NeuralModelSet.Load(ModelsRoot(options), modelSet);
            neural = new NeuralEngine(models, provider, () => app!.Services.GetRequiredService<ActorSystem>().Materializer(), new NeuralOptions
            {
                Workers = options.NeuralWorkers > 0 ? options.NeuralWorkers : Math.Max(1, Environment.ProcessorCount),
                MaxBatch = options.NeuralBatch,
            });
        }
        catch (Exception e) when (e is NeuralModelException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            Console.Error.WriteLine($"Configuration error: {e.Message} (see OCR_MODELS_DIR, OCR_MODEL_GPU, OCR_MODEL_CPU)");
            return null;
        }

        Directory.CreateDirectory(options.DataDir);
        ConfigureLogging(builder, options);
        ConfigureServices(builder, options);
        builder.Services.AddSingleton(neural);
        builder.Services.AddSingleton(new GpuStatusHolder { Status = gpu, Provider = provider });
        app = builder.Build();
        ConfigurePipeline(app, options);
        return app;
    }

    private static void ConfigureLogging(WebApplicationBuilder builder, OcrServiceOptions options)
    {
        var json = string.Equals(options.LogFormat, "json", StringComparison.OrdinalIgnoreCase);
        builder.Services.AddSerilog(log =>
        {
            log.MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning)
                .Enrich.FromLogContext()
                .Enrich.WithProperty("Node", options.EffectiveNodeName);
            if (json)
            {
                log.WriteTo.Console(new Serilog.Formatting.Compact.RenderedCompactJsonFormatter());
            }
            else
            {
                log.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {Properties:j}{NewLine}{Exception}");
            }
        });
    }

    private static void ConfigureServices(WebApplicationBuilder builder, OcrServiceOptions options)
    {
        var services = builder.Services;
        services.AddOptions<OcrServiceOptions>().BindConfiguration(OcrServiceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(options);

        var pipelineOptions = new PipelineOptions
        {
            PdfDpi = options.PdfDpi,
            PdfFormat = options.PdfFormat,
            PdfTextLayer = options.PdfTextLayer,
            MaxPagePixels = options.MaxPagePixels,
            EngineCount = options.Engines,
            PageAttempts = options.PageAttempts,
            Preprocess = Enum.Parse<PreprocessMode>(options.Preprocess, ignoreCase: true),
            CpuEngine = options.CpuEngineIsTesseract ? OcrEngines.Tesseract : OcrEngines.Neural,
            EscalateBelow = options.EscalateBelow,
        };
        services.AddSingleton(pipelineOptions);
        services.AddSingleton(sp => new TesseractPool(sp.GetRequiredService<PipelineOptions>()));
        services.AddSingleton(sp => new PagePipeline(sp.GetRequiredService<TesseractPool>(), sp.GetRequiredService<PipelineOptions>(), sp.GetRequiredService<NeuralEngine>()));
        services.AddSingleton(new JobOptions
        {
            MaxConcurrentJobs = options.MaxConcurrentJobs,
            MaxQueuedJobs = options.MaxQueuedJobs,
            JobTimeout = TimeSpan.FromSeconds(options.JobTimeout),
            CleanupDelay = TimeSpan.FromSeconds(options.CleanupDelay),
            Retention = TimeSpan.FromDays(options.ResultRetentionDays),
        });
        if (options.ClusterMode)
        {
            var redis = options.RedisConfiguration!;
            services.AddSingleton(sp => new RedisMonitor(redis, options.RedisDb, sp.GetRequiredService<ILogger<RedisMonitor>>(),
                () => sp.GetRequiredService<ActorRegistry>().Get<JobHousekeeperKey>().Tell(JobHousekeeper.StoreReturned.Instance)));
            services.AddHostedService(sp => sp.GetRequiredService<RedisMonitor>());
            services.AddSingleton<IJobIndex>(_ => new RedisJobIndex(RedisConnection.Get(redis), options.RedisDb, options.RedisPrefix));
        }
        else
        {
            services.AddSingleton<IJobIndex>(_ => new SqliteJobIndex(options.DataDir));
            services.AddSingleton(RedisMonitor.Disabled);
        }

        services.AddSingleton<ProgressBroker>();
        services.AddSingleton<ProgressFeed>();
        services.AddSingleton<UploadReceiver>();
        services.AddHostedService<EngineWarmup>();
        services.AddSingleton<EngineRates>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineRates>());

        var akkaConfig = Path.Combine(AppContext.BaseDirectory, "hocon", "akka.conf");
        services.AddAkka("akkaocr", (akka, sp) => akka
            .AddHocon(Akka.Configuration.ConfigurationFactory.ParseString(File.ReadAllText(akkaConfig)), HoconAddMode.Append)
            .ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            })
            .AddOcrSerializer()
            .AddClusterOrEmbedded(options)
            .AddJobEntities(sp.GetRequiredService<JobOptions>(), options.EffectiveNodeName)
            .AddProgressFanOut());

        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            // Numbers are numbers (the web default also reads them from strings, which the OpenAPI schemas then admit).
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        services.AddSingleton(new JsonSerializerOptionsHolder(json));
        services.AddSignalR(o => o.EnableDetailedErrors = false)
            .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);

        services.AddSingleton(new JwtValidator(Encoding.UTF8.GetBytes(options.JwtSecretKey!), TimeProvider.System));
        services.AddAuthentication(JwtAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, JwtAuthenticationHandler>(JwtAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(o => o.AddPolicy(AdminApi.Policy, p => p.RequireRole("admin")));

        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            if (!context.ProblemDetails.Extensions.ContainsKey("error"))
            {
                context.ProblemDetails.Extensions["error"] = context.ProblemDetails.Detail ?? context.ProblemDetails.Title ?? "error";
            }

            if (options.Debug && context.HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error is { } error)
            {
                context.ProblemDetails.Extensions["exception"] = error.ToString();
            }
        });

        services.Configure<HostFilteringOptions>(o =>
        {
            o.AllowedHosts = options.AllowedHosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            o.AllowEmptyHosts = true;
        });
        var origins = options.CorsAllowedOrigins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        services.AddCors(o => o.AddDefaultPolicy(policy =>
        {
            if (origins.Length > 0)
            {
                policy.WithOrigins(origins).AllowAnyHeader().AllowAnyMethod().AllowCredentials();
            }
        }));
        services.AddOpenApi(OpenApiDocumentation.Configure);
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(Ocr.Actors.Metrics.OcrMetrics.MeterName)
            // .NET's own runtime meter: GC heap sizes, pauses, working set, thread pool.
            .AddMeter("System.Runtime")
            .AddPrometheusExporter());
    }

    private static AkkaConfigurationBuilder AddClusterOrEmbedded(this AkkaConfigurationBuilder akka, OcrServiceOptions options)
    {
        if (!options.ClusterMode)
        {
            return akka.AddSqliteJournal(options.DataDir).AddSingleNodeCluster(options.EffectiveNodeName);
        }

        var seeds = options.ClusterSeeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return akka.AddRedisCluster(new ClusterNodeOptions(
            options.EffectiveNodeName, options.EffectiveClusterHost, options.ClusterPort, seeds,
            options.RedisConfiguration!, options.RedisDb, options.RedisPrefix));
    }

    private static void ConfigurePipeline(WebApplication app, OcrServiceOptions options)
    {
        app.UseHostFiltering();
        app.UseDefaultFiles();
        app.UseStaticFiles(); // the web page at / (wwwroot), before authentication: it holds no data
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(TrimTrailingSlash);
        app.UseCors();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs").AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        app.MapHealthApi();
        app.MapOcrApi();
        app.MapAdminApi();
        app.MapProgressWebSocket();
        app.MapHub<OcrHub>("/hubs/ocr");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var registry = app.Services.GetRequiredService<ActorRegistry>();
            Ocr.Actors.Metrics.OcrMetrics.ObserveNode(new Dictionary<string, IActorRef>
            {
                ["admission"] = registry.Get<NodeAdmissionKey>(),
                ["housekeeper"] = registry.Get<JobHousekeeperKey>(),
                ["job-region"] = registry.Get<JobRegionKey>(),
            }, app.Services.GetRequiredService<PagePipeline>(), app.Services.GetRequiredService<GpuStatusHolder>().Status);
        });
        app.Logger.LogInformation("AkkaOcr starting as node {Node} ({Mode}): data in {DataDir}, uploads in {Uploads}, {Jobs} concurrent job(s), timeout {Timeout} s",
            options.EffectiveNodeName, options.ClusterMode ? "cluster" : "embedded", Path.GetFullPath(options.DataDir), options.EffectiveUploadsDir,
            options.MaxConcurrentJobs, options.JobTimeout);
        app.Logger.LogInformation("Huge pages for glibc's large blocks ({Setting}): {State}", MallocHugePages.Setting, MallocHugePages.State);
    }

    /// <summary>OCR_MODELS_DIR, else the first `models/` folder beside the program or above it (a source checkout), else ./models.</summary>
    private static string ModelsRoot(OcrServiceOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ModelsDir))
        {
            return Path.GetFullPath(options.ModelsDir);
        }

        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "models");
            if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, NeuralModelSet.ChecksumFile, SearchOption.AllDirectories).Any())
            {
                return candidate;
            }
        }

        return Path.GetFullPath("models");
    }

    /// <summary>Trailing slashes are optional on every path (the old service used them).</summary>
    private static Task TrimTrailingSlash(HttpContext context, Func<Task> next)
    {
        var path = context.Request.Path.Value;
        if (path is { Length: > 1 } && path.EndsWith('/'))
        {
            context.Request.Path = new PathString(path.TrimEnd('/'));
        }

        return next();
    }
}

/// <summary>Loads every Tesseract engine at start-up, off the request path, and logs what GPU detection found.</summary>
public sealed class EngineWarmup(TesseractPool pool, GpuStatusHolder gpu, NeuralEngine neural, ILogger<EngineWarmup> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        log.LogInformation("GPU detection ({Method}): {Reason}", gpu.Status?.Method, gpu.Status?.Reason);
        log.LogInformation("Neural engine {Model} on {Provider}: {Why}", neural.ModelName, neural.Provider.Provider, neural.Provider.Reason);
        _ = Task.Run(async () =>
        {
            try
            {
                await pool.StartAsync();
                log.LogInformation("{Count} Tesseract engine(s) loaded ({Model})", pool.Size, pool.ModelName);
            }
            catch (Exception e)
            {
                log.LogCritical(e, "Tesseract engines failed to load");
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
