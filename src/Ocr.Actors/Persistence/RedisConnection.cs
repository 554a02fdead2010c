using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Ocr.Actors.Persistence;

/// <summary>
/// REDIS_URL as the service takes it (<c>redis://[user:password@]host:port[/db]</c>, <c>rediss://</c>
/// for TLS, or a StackExchange.Redis configuration string), and one shared connection per
/// configuration for the journal, the snapshot store, the job index and health.
/// </summary>
public static class RedisConnection
{
    private static readonly ConcurrentDictionary<string, Lazy<ConnectionMultiplexer>> Connections = new();

    /// <summary>The StackExchange.Redis configuration string for a REDIS_URL, or why it cannot be used.</summary>
    public static (string? Configuration, string? Error) Parse(string url)
    {
        url = url.Trim();
        if (url.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                return (null, $"'{Redact(url)}' is not a redis:// URL with a host");
            }

            var options = new ConfigurationOptions { Ssl = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase) };
            options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port);
            if (uri.UserInfo.Length > 0)
            {
                var parts = uri.UserInfo.Split(':', 2);
                if (parts.Length == 2)
                {
                    if (parts[0].Length > 0)
                    {
                        options.User = Uri.UnescapeDataString(parts[0]);
                    }

                    options.Password = Uri.UnescapeDataString(parts[1]);
                }
                else
                {
                    options.Password = Uri.UnescapeDataString(parts[0]);
                }
            }

            return (options.ToString(includePassword: true), null);
        }

        try
        {
            var options = ConfigurationOptions.Parse(url);
            return options.EndPoints.Count == 0 ? (null, "names no Redis server") : (url, null);
        }
        catch (Exception e) when (e is ArgumentException or RedisConnectionException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>
    /// The shared connection for a configuration string. It never fails on connect: commands fail
    /// (after <paramref name="commandTimeout"/>) while Redis is away, and it reconnects by itself.
    /// </summary>
    public static ConnectionMultiplexer Get(string configuration, TimeSpan? commandTimeout = null) =>
        Connections.GetOrAdd(configuration, c => new Lazy<ConnectionMultiplexer>(() =>
        {
            var options = ConfigurationOptions.Parse(c);
            options.AbortOnConnectFail = false;
            // For CONFIG GET at start-up (is the append-only file on?); nothing else of the admin set is used.
            options.AllowAdmin = true;
            options.ConnectTimeout = 5000;
            options.SyncTimeout = options.AsyncTimeout = (int)(commandTimeout ?? TimeSpan.FromSeconds(5)).TotalMilliseconds;
            options.ReconnectRetryPolicy = new LinearRetry(1000);
            return ConnectionMultiplexer.Connect(options);
        })).Value;

    private static string Redact(string url) => url.Contains('@') ? "redis://***@" + url[(url.LastIndexOf('@') + 1)..] : url;

    /// <summary>What is wrong, for the job store, with a Redis configured like this.</summary>
    public static IEnumerable<string> DurabilityWarnings(IReadOnlyDictionary<string, string> settings)
    {
        if (settings.TryGetValue("appendonly", out var aof) && !aof.Equals("yes", StringComparison.OrdinalIgnoreCase))
        {
            yield return "the append-only file is off (appendonly no): jobs accepted since the last RDB snapshot are lost if Redis stops; run it with --appendonly yes";
        }

        if (settings.TryGetValue("maxmemory-policy", out var policy) && !policy.Equals("noeviction", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"maxmemory-policy is {policy}: Redis may evict job events when full; run it with --maxmemory-policy noeviction";
        }
    }
}
