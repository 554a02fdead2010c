using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Ocr.Host.Api;

namespace Ocr.Host.Auth;

/// <summary>
/// Bearer authentication with <see cref="JwtValidator"/>. REST endpoints take the token only
/// from the Authorization header; the progress WebSocket and the SignalR hub also from the
/// query string (`token` or `access_token`), since browsers cannot set headers there.
/// </summary>
public sealed class JwtAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    JwtValidator validator) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "PortalJwt";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = TokenFrom(Request);
        if (token is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var (user, error) = validator.Validate(token);
        return Task.FromResult(user is null
            ? AuthenticateResult.Fail(error ?? "invalid token")
            : AuthenticateResult.Success(new AuthenticationTicket(user, SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var reason = result.Failure?.Message ?? "authentication required: send 'Authorization: Bearer <token>'";
        Response.Headers.WWWAuthenticate = "Bearer";
        await ErrorResults.WriteAsync(Context, StatusCodes.Status401Unauthorized, reason);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorResults.WriteAsync(Context, StatusCodes.Status403Forbidden, "forbidden");

    private static string? TokenFrom(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        if (request.Path.StartsWithSegments("/ws") || request.Path.StartsWithSegments("/hubs"))
        {
            var query = request.Query["access_token"].ToString();
            if (string.IsNullOrEmpty(query))
            {
                query = request.Query["token"].ToString();
            }

            return string.IsNullOrEmpty(query) ? null : query;
        }

        return null;
    }
}
