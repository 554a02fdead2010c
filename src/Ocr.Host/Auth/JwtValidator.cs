using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ocr.Host.Auth;

/// <summary>
/// Validates the portal's HS256 tokens: the header must name HS256 (alg none and every other
/// algorithm are refused), the signature must match JWT_SECRET_KEY, `exp` is required, `nbf`
/// is honoured, clock skew is at most five minutes, and the user comes from `user_id` else `sub`.
/// </summary>
public sealed class JwtValidator(byte[] key, TimeProvider clock)
{
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    public const string UserIdClaim = "user_id";

    public (ClaimsPrincipal? User, string? Error) Validate(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return (null, "malformed token");
        }

        JsonElement header;
        JsonElement payload;
        byte[] signature;
        try
        {
            header = JsonDocument.Parse(Base64Url(parts[0])).RootElement;
            payload = JsonDocument.Parse(Base64Url(parts[1])).RootElement;
            signature = Base64Url(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            return (null, "malformed token");
        }

        if (header.ValueKind != JsonValueKind.Object || payload.ValueKind != JsonValueKind.Object)
        {
            return (null, "malformed token");
        }

        if (!header.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != "HS256")
        {
            return (null, "token algorithm not accepted (HS256 only)");
        }

        var expected = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        if (!CryptographicOperations.FixedTimeEquals(expected, signature))
        {
            return (null, "invalid token signature");
        }

        var now = clock.GetUtcNow();
        if (!TryGetTime(payload, "exp", out var expires))
        {
            return (null, "token has no expiry (exp)");
        }

        if (now - ClockSkew >= expires)
        {
            return (null, "token expired");
        }

        if (payload.TryGetProperty("nbf", out _) && (!TryGetTime(payload, "nbf", out var notBefore) || now + ClockSkew < notBefore))
        {
            return (null, "token not yet valid (nbf)");
        }

        var user = Claim(payload, UserIdClaim) ?? Claim(payload, "sub");
        if (string.IsNullOrWhiteSpace(user))
        {
            return (null, "token names no user (user_id or sub)");
        }

        List<Claim> claims = [new Claim(UserIdClaim, user), new Claim(ClaimTypes.NameIdentifier, user)];
        claims.AddRange(Roles(payload).Select(role => new Claim(ClaimTypes.Role, role)));
        var identity = new ClaimsIdentity(claims, JwtAuthenticationHandler.SchemeName, UserIdClaim, ClaimTypes.Role);
        return (new ClaimsPrincipal(identity), null);
    }

    /// <summary>Signs a token for <paramref name="user"/> (the `token` command and tests).</summary>
    public static string Mint(byte[] key, string user, TimeSpan lifetime, DateTimeOffset now)
    {
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["user_id"] = user,
            ["sub"] = user,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
        }));
        var signature = Base64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(header + "." + payload)));
        return $"{header}.{payload}.{signature}";
    }

    /// <summary>Roles from the claim `role` (a string) and the claim `roles` (an array of strings).</summary>
    private static IEnumerable<string> Roles(JsonElement payload)
    {
        if (payload.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String && role.GetString() is { Length: > 0 } single)
        {
            yield return single;
        }

        if (payload.TryGetProperty("roles", out var roles) && roles.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in roles.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && item.GetString() is { Length: > 0 } name)
                {
                    yield return name;
                }
            }
        }
    }

    private static string? Claim(JsonElement payload, string name) =>
        payload.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    private static bool TryGetTime(JsonElement payload, string name, out DateTimeOffset time)
    {
        time = default;
        if (!payload.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds))
        {
            return false;
        }

        time = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
        return true;
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch
        {
            2 => "==",
            3 => "=",
            0 => "",
            _ => throw new FormatException("bad base64url length"),
        };
        return Convert.FromBase64String(padded);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
