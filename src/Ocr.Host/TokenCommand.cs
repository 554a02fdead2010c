using System.Text;
using Ocr.Host.Auth;

namespace Ocr.Host;

/// <summary>`Ocr.Host token --user alice [--ttl 3600]`: prints a dev token signed with JWT_SECRET_KEY.</summary>
public static class TokenCommand
{
    public static int Run(string[] args)
    {
        string? user = null;
        var ttl = 3600;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--user" when i + 1 < args.Length:
                    user = args[++i];
                    break;
                case "--ttl" when i + 1 < args.Length && int.TryParse(args[i + 1], out var seconds) && seconds > 0:
                    ttl = seconds;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"unknown or incomplete argument '{args[i]}'");
                    return Usage();
            }
        }

        var secret = Environment.GetEnvironmentVariable("JWT_SECRET_KEY");
        if (string.IsNullOrEmpty(secret))
        {
            Console.Error.WriteLine("JWT_SECRET_KEY is required to sign a token");
            return 2;
        }

        if (string.IsNullOrWhiteSpace(user))
        {
            return Usage();
        }

        Console.WriteLine(JwtValidator.Mint(Encoding.UTF8.GetBytes(secret), user, TimeSpan.FromSeconds(ttl), DateTimeOffset.UtcNow));
        return 0;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Ocr.Host token --user NAME [--ttl SECONDS]   (needs JWT_SECRET_KEY)");
        return 2;
    }
}
