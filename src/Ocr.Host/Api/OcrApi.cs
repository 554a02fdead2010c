using System.Globalization;
using System.Security.Claims;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Mvc;
using Ocr.Actors.Index;
using Ocr.Actors.Jobs;
using Ocr.Pipeline.Rendering;
using Ocr.Host.Auth;
using Ocr.Host.Configuration;
using Ocr.Pipeline.Streams;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Host.Api;

/// <summary>The job endpoints of SPEC.md. Handlers ask the job's entity (through the shard region), or read the job index.</summary>
public static class OcrApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private static readonly HashSet<string> Engines = ["auto", "tesseract", "neural"];

    public static RouteGroupBuilder MapOcrApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/ocr").RequireAuthorization().WithTags("OCR jobs");
        api.MapPost("/submit", Submit).DisableAntiforgery().Accepts<IFormFile>("multipart/form-data").WithName("SubmitJob")
            .WithSummary("Submit a file (multipart field 'file') for OCR")
            .WithDescription("Optional fields: engine (auto|tesseract|neural), language (e.g. eng, eng+deu), dpi (50-1200, PDFs), pages (e.g. 1-3,7), rotate (auto|none). 503 carries Retry-After (queue full, or the job store unreachable).")
            .Produces<SubmitAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/job/{jobId}/status", Status).WithName("GetJobStatus").WithSummary("Job status")
            .Produces<JobStatusView>().WithJobErrors();
        api.MapGet("/job/{jobId}/result", Result).WithName("GetJobResult").WithSummary("Job result (pass ?partial=true for the pages done so far)")
            .WithDescription("?format= json (default; the schema below) | txt (text/plain) | hocr (hOCR 1.2, text/html) | alto (ALTO 4.4 in pixels, application/xml) | md (text/markdown) | pdf (application/pdf, searchable: each page's image under an invisible text layer on the word boxes). Boxes are [x0, y0, x1, y1] in pixels of the page as uploaded (PDF pages as rendered at the page's dpi). 409: the format needs word positions this job does not have (a text upload, a job read before they were recorded, or a PDF whose upload is gone).")
            .Produces<JobResultView>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).WithJobErrors();
        api.MapGet("/job/{jobId}/page/{pageNumber:int}/image", PageImage).WithName("GetJobPageImage")
            .WithSummary("A page of a completed job as a PNG (longer side 1600 px), to draw its word boxes on")
            .WithDescription("Scale the result's boxes by the image's width over the page's `width`. 409 where the job has no page images (a text upload, a job read before word positions were recorded, or one whose upload is gone).")
            .Produces(StatusCodes.Status200OK, contentType: "image/png").ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict).WithJobErrors();
        api.MapPost("/job/{jobId}/cancel", Cancel).WithName("CancelJob").WithSummary("Cancel a pending or processing job")
            .Produces<CancelAccepted>().ProducesProblem(StatusCodes.Status400BadRequest).WithJobErrors();
        api.MapDelete("/job/{jobId}", Delete).WithName("DeleteJob").WithSummary("Delete a job at once: its upload, results, events and snapshots")
            .WithDescription("Answers 204 once nothing of the job is left. Finished jobs are also deleted this way after OCR_RESULT_RETENTION_DAYS (default 30; 0 keeps them).")
            .Produces(StatusCodes.Status204NoContent).WithJobErrors();
        api.MapGet("/jobs", List).WithName("ListJobs").WithSummary("The caller's jobs, newest first (?limit=1..100, default 10)")
            .Produces<JobList>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized);
        return api;
    }

    /// <summary>The errors every job endpoint can answer.</summary>
    public static RouteHandlerBuilder WithJobErrors(this RouteHandlerBuilder route) => route
        .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    /// <summary>The 202 of a submit.</summary>
    public sealed record SubmitAccepted(string JobId, string Status, string WebsocketUrl, string StatusUrl, string ResultUrl);

    public sealed record CancelAccepted(string JobId, string Status);

    public sealed record JobList(IReadOnlyList<JobStatusView> Jobs, int Count);

    public sealed record Services(
        IRequiredActor<JobRegionKey> Jobs, IRequiredActor<NodeAdmissionKey> Admission, IJobIndex Index,
        OcrServiceOptions Options, UploadReceiver Uploads, PagePipeline Pipeline, ILoggerFactory Logs, Health.RedisMonitor Redis, HttpContext Http);

    public static UserId UserOf(ClaimsPrincipal principal) => new(principal.FindFirstValue(JwtValidator.UserIdClaim) ?? "");

    private static async Task<IResult> Submit(HttpContext http, [AsParameters] Services services, CancellationToken cancellationToken)
    {
        var jobId = JobId.New();
        if (!services.Redis.Available)
        {
            http.Response.Headers.RetryAfter = "5";
            return ErrorResults.Problem(503, StoreUnreachable(services.Redis));
        }

        var uploads = services.Options.EffectiveUploadsDir;
        Directory.CreateDirectory(uploads);
        var stored = Path.GetFullPath(Path.Combine(uploads, jobId.Value + ".upload"));
        var log = services.Logs.CreateLogger("Ocr.Submit");
        using var scope = log.BeginScope(new Dictionary<string, object> { ["JobId"] = jobId.Value });

        var (upload, rejection) = await services.Uploads.ReceiveAsync(http, stored, cancellationToken);
        if (rejection is not null || upload is null)
        {
            TryDelete(stored);
            log.LogInformation("Submission refused ({Status}): {Reason}", rejection!.Status, rejection.Message);
            return ErrorResults.Problem(rejection.Status, rejection.Message);
        }

        var (spec, invalid) = BuildSpec(upload, services.Pipeline);
        if (invalid is not null)
        {
            TryDelete(stored);
            return ErrorResults.Problem(400, invalid);
        }

        var owner = UserOf(http.User);
        IJobReply reply;
        try
        {
            // A place in this node's queue first: a full queue refuses before anything is persisted.
            reply = await services.Admission.ActorRef.Ask<IJobReply>(new NodeAdmission.Reserve(jobId), AskTimeout, cancellationToken);
            if (reply is NodeAdmission.Reserved)
            {
                reply = await services.Jobs.ActorRef.Ask<IJobReply>(new JobCommands.SubmitJob(jobId, owner, spec!, DateTimeOffset.UtcNow), AskTimeout, cancellationToken);
            }
        }
        catch (AskTimeoutException)
        {
            // The client hears "not accepted": should the job still be taken later, the cancel
            // queued behind it ends it (and the upload is removed after the cleanup delay).
            services.Jobs.ActorRef.Tell(new JobCommands.CancelJob(jobId, owner));
            log.LogWarning("Submission not confirmed within {Seconds} s; answered 503", AskTimeout.TotalSeconds);
            http.Response.Headers.RetryAfter = "5";
            return ErrorResults.Problem(503, services.Redis.Available ? "the service is too busy to confirm the job; retry in 5 s" : StoreUnreachable(services.Redis));
        }

        switch (reply)
        {
            case Accepted:
                if (services.Options.LogFileNames)
                {
                    log.LogInformation("Accepted a {Kind} upload of {Size} bytes named {FileName}", spec!.Kind, upload.Size, upload.FileName);
                }
                else
                {
                    // File names often carry a patient's name: logged only with OCR_LOG_FILE_NAMES.
                    log.LogInformation("Accepted a {Kind} upload of {Size} bytes", spec!.Kind, upload.Size);
                }

                var self = $"/api/ocr/job/{jobId}";
                return TypedResults.Json(new SubmitAccepted(jobId.Value, JobStatuses.Pending, $"/ws/ocr/progress/{jobId}/", $"{self}/status/", $"{self}/result/"),
                    statusCode: StatusCodes.Status202Accepted);
            case QueueFull full:
                TryDelete(stored);
                http.Response.Headers.RetryAfter = full.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return ErrorResults.Problem(503, $"the job queue is full; retry in {full.RetryAfterSeconds} s");
            default:
                TryDelete(stored);
                return ToResult(reply);
        }
    }

    private static string StoreUnreachable(Health.RedisMonitor redis) =>
        $"the job store (Redis at {redis.Endpoint}) is unreachable: {redis.LastError}; nothing was accepted, retry in 5 s";

    private static (JobSpec? Spec, string? Error) BuildSpec(UploadReceiver.Upload upload, PagePipeline pipeline)
    {
        var fields = upload.Fields;
        var engine = fields.GetValueOrDefault("engine", "auto").ToLowerInvariant();
        if (engine.Length == 0)
        {
            engine = "auto";
        }

        if (!Engines.Contains(engine))
        {
            return (null, $"engine must be one of auto, tesseract, neural (got '{engine}')");
        }

        if (engine == "neural" && pipeline.Neural is null)
        {
            return (null, "the neural engine is not installed on this node; use engine=auto or engine=tesseract");
        }

        var language = fields.GetValueOrDefault("language", "eng");
        if (language.Length == 0)
        {
            language = "eng";
        }

        if (!LanguageCatalog.IsInstalled(language))
        {
            return (null, $"language '{language}' is not installed; installed: {string.Join(", ", LanguageCatalog.Installed())}");
        }

        int? dpi = null;
        if (fields.TryGetValue("dpi", out var dpiText) && dpiText.Length > 0)
        {
            if (!int.TryParse(dpiText, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value is < 50 or > 1200)
            {
                return (null, "dpi must be a whole number between 50 and 1200");
            }

            dpi = value;
        }

        var pages = fields.GetValueOrDefault("pages");
        if (PageSelection.Validate(pages) is { } pagesError)
        {
            return (null, pagesError);
        }

        var rotate = fields.GetValueOrDefault("rotate", "auto").ToLowerInvariant();
        if (rotate is not ("auto" or "none" or ""))
        {
            return (null, "rotate must be auto or none");
        }

        return (new JobSpec(upload.FileName, upload.Size, upload.StoredPath, upload.Kind, engine, language, dpi,
            string.IsNullOrWhiteSpace(pages) ? null : pages, rotate != "none"), null);
    }

    private static Task<IResult> Status(string jobId, ClaimsPrincipal user, [AsParameters] Services services, CancellationToken cancellationToken) =>
        AskJob(services, new JobCommands.GetStatus(new JobId(jobId), UserOf(user)), cancellationToken);

    private static async Task<IResult> Result(
        string jobId, ClaimsPrincipal user, [AsParameters] Services services, [FromQuery] bool? partial, [FromQuery] string? format, CancellationToken cancellationToken)
    {
        if (ResultFormat.Named(format) is not { } wanted)
        {
            return ErrorResults.Problem(400, $"unknown format '{format}': one of {ResultFormats.Known}");
        }

        var (reply, unanswered) = await AskAsync(services, new JobCommands.GetResult(new JobId(jobId), UserOf(user), partial ?? false), cancellationToken);
        return unanswered ?? (reply is JobReplies.Result result
            ? await ResultFormats.RespondAsync(wanted, result.View, partial ?? false, services.Pipeline.Options, cancellationToken)
            : ToResult(reply!));
    }

    private static async Task<IResult> PageImage(string jobId, int pageNumber, ClaimsPrincipal user, [AsParameters] Services services, CancellationToken cancellationToken)
    {
        var (reply, unanswered) = await AskAsync(services, new JobCommands.GetResult(new JobId(jobId), UserOf(user)), cancellationToken);
        return unanswered ?? (reply is JobReplies.Result result
            ? await ResultFormats.PageImageAsync(result.View, pageNumber, services.Pipeline.Options, cancellationToken)
            : ToResult(reply!));
    }

    private static Task<IResult> Cancel(string jobId, ClaimsPrincipal user, [AsParameters] Services services, CancellationToken cancellationToken) =>
        AskJob(services, new JobCommands.CancelJob(new JobId(jobId), UserOf(user)), cancellationToken);

    private static Task<IResult> Delete(string jobId, ClaimsPrincipal user, [AsParameters] Services services, CancellationToken cancellationToken) =>
        AskJob(services, new JobCommands.DeleteJob(new JobId(jobId), UserOf(user)), cancellationToken);

    private static async Task<IResult> AskJob(Services services, IJobCommand command, CancellationToken cancellationToken)
    {
        var (reply, unanswered) = await AskAsync(services, command, cancellationToken);
        return unanswered ?? ToResult(reply!);
    }

    /// <summary>The job's reply, or the 503 to answer when it did not come.</summary>
    private static async Task<(IJobReply? Reply, IResult? Unanswered)> AskAsync(Services services, IJobCommand command, CancellationToken cancellationToken)
    {
        try
        {
            return (await services.Jobs.ActorRef.Ask<IJobReply>(command, AskTimeout, cancellationToken), null);
        }
        catch (AskTimeoutException)
        {
            // The job's shard is moving (a node left or died) or its store is away: nothing was decided, ask again.
            services.Http.Response.Headers.RetryAfter = "5";
            return (null, ErrorResults.Problem(503, $"job {command.JobId} did not answer within {AskTimeout.TotalSeconds:0} s (its node may be moving it); retry in 5 s"));
        }
    }

    private static async Task<IResult> List(HttpContext http, [AsParameters] Services services, CancellationToken cancellationToken)
    {
        var limit = 10;
        var text = http.Request.Query["limit"].ToString();
        if (text.Length > 0 && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > 100))
        {
            return ErrorResults.Problem(400, "limit must be a whole number from 1 to 100");
        }

        var jobs = await services.Index.ListAsync(UserOf(http.User), limit, cancellationToken);
        return TypedResults.Json(new JobList(jobs, jobs.Count));
    }

    /// <summary>The one place where reply codes become status codes.</summary>
    public static IResult ToResult(IJobReply reply) => reply switch
    {
        JobReplies.Status s => TypedResults.Json(s.View),
        JobReplies.Result r => TypedResults.Json(JobResultView.From(r.View)),
        JobReplies.Cancelled c => TypedResults.Json(new CancelAccepted(c.JobId.Value, JobStatuses.Cancelled)),
        JobReplies.Deleted => TypedResults.NoContent(),
        JobReplies.Failed f => ErrorResults.Problem(500, f.Error),
        NotFound n => ErrorResults.Problem(404, $"job {n.JobId} not found"),
        Forbidden => ErrorResults.Problem(403, "this job belongs to another user"),
        NotFinished n => ErrorResults.Problem(400, $"the job is not completed (status: {n.Status})", new Dictionary<string, object?> { ["status"] = n.Status }),
        AlreadyFinished a => ErrorResults.Problem(400, $"the job has already finished (status: {a.Status})", new Dictionary<string, object?> { ["status"] = a.Status }),
        _ => ErrorResults.Problem(500, $"unexpected reply {reply.GetType().Name}"),
    };

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
