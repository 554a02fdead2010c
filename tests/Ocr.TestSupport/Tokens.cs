using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ocr.TestSupport;

/// <summary>Mints test tokens independently of the service's own code.</summary>
public static class Tokens
{
    public static string For(string user, string secret = HostProcess.Secret, string alg = "HS256", long? expiresIn = 3600, Dictionary<string, object>? claims = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = claims ?? new Dictionary<string, object> { ["user_id"] = user };
        if (expiresIn is not null)
        {
            payload["exp"] = now + expiresIn.Value;
        }

        var head = Encode(JsonSerializer.SerializeToUtf8Bytes(new { alg, typ = "JWT" }));
        var body = Encode(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = alg == "none" ? "" : Encode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(head + "." + body)));
        return $"{head}.{body}.{signature}";
    }

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
