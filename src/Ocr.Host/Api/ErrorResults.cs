using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ocr.Host.Api;

/// <summary>Every error leaves as problem+json with an `error` member holding the message.</summary>
public static class ErrorResults
{
    public static ProblemHttpResult Problem(int status, string message, IDictionary<string, object?>? extra = null)
    {
        var extensions = new Dictionary<string, object?> { ["error"] = message };
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                extensions[key] = value;
            }
        }

        return TypedResults.Problem(detail: message, statusCode: status, extensions: extensions);
    }

    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        var problem = new ProblemDetails
        {
            Status = status,
            Title = ReasonPhrase(status),
            Detail = message,
            Extensions = { ["error"] = message },
        };
        return context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
