using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ocr.Host.Api;

/// <summary>
/// What the generated OpenAPI document needs beyond the endpoints' own metadata: the bearer
/// scheme and each operation's security (none for the anonymous ones), the service's
/// description (the WebSocket and the hub, which OpenAPI cannot describe as operations), and
/// server URLs without a trailing slash.
/// </summary>
public static class OpenApiDocumentation
{
    public const string BearerScheme = "bearer";

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer(async (document, context, cancellationToken) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "AkkaOcr",
                Version = "v1",
                Description = """
                    OCR jobs for the healthcare portal: submit a file, follow its progress, read its text page by page.

                    Every /api/ocr path takes a bearer token (HS256 JWT naming the user in `user_id` or `sub`); the
                    /api/ocr/admin paths need `role: admin` (or `admin` in `roles`).

                    Live progress, outside this document's operations:
                    - WebSocket `GET /ws/ocr/progress/{job_id}/` (token in `Authorization: Bearer` or `?token=`): one JSON
                      message per change, `{job_id, status, progress, message, page, page_count, timestamp}` (the `JobProgress`
                      schema), the current state first, the terminal state last, then a normal close (1000).
                    - SignalR hub `/hubs/ocr` (token as `access_token`): invoke `SubscribeJob(job_id)`, receive `progress`
                      events with the same fields.
                    """,
                License = new OpenApiLicense { Name = "Proprietary" },
            };
            document.Servers = [.. (document.Servers ?? []).Select(s => new OpenApiServer { Url = s.Url?.TrimEnd('/'), Description = s.Description })];
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "HS256 JWT signed with the service's JWT_SECRET_KEY",
            };
            document.Tags ??= new HashSet<OpenApiTag>();
            foreach (var (name, description) in new[]
            {
                ("OCR jobs", "Submit files, read status and results, cancel and delete jobs"),
                ("Operations", "Health, statistics and system information"),
                ("Operations (admin)", "Operators' views and actions across users and nodes"),
            })
            {
                foreach (var existing in document.Tags.Where(t => t.Name == name).ToList())
                {
                    document.Tags.Remove(existing);
                }

                document.Tags.Add(new OpenApiTag { Name = name, Description = description });
            }

            // The WebSocket's and the hub's message, so that clients generate its type too.
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas["JobProgress"] = await context.GetOrCreateSchemaAsync(typeof(Ocr.Actors.Jobs.JobProgress), null, cancellationToken);
        });

        // Boxes are written as four numbers by their converter, which the schema generator does not see.
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonTypeInfo.Type == typeof(Ocr.Pipeline.Pages.Box))
            {
                schema.Type = JsonSchemaType.Array;
                schema.Properties = null;
                schema.Required = null;
                schema.Items = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" };
                schema.MinItems = 4;
                schema.MaxItems = 4;
                schema.Description = "[x0, y0, x1, y1] in pixels of the page";
            }

            return Task.CompletedTask;
        });

        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var secured = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
            operation.Security = secured
                ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }]
                : [];
            return Task.CompletedTask;
        });
    }
}
