using Ocr.Actors.Persistence;
using StackExchange.Redis;

namespace Ocr.Host.Health;

/// <summary>
/// Cluster mode's view of Redis, which holds every job: pinged every second, so health and
/// submit answer at once (503, nothing half-accepted) while it is unreachable instead of waiting
/// for a write to time out. On the first contact it checks that Redis keeps what it is given
/// (append-only file on, no eviction) and warns when not. In the embedded mode it is disabled and
/// always available.
/// </summary>
public sealed class RedisMonitor(string? configuration, int database, ILogger<RedisMonitor>? log = null, Action? returned = null) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private volatile string? _lastError;
    private volatile bool _available = true;
    private bool _durabilityChecked;

    public static RedisMonitor Disabled { get; } = new(null, 0);

    public bool Enabled => configuration is not null;

    public bool Available => !Enabled || _available;

    public string? LastError => _lastError;

    public TimeSpan? LastLatency { get; private set; }

    public string? Endpoint { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (configuration is null)
        {
            return;
        }

        var connection = RedisConnection.Get(configuration, TimeSpan.FromSeconds(2));
        Endpoint = string.Join(",", connection.GetEndPoints().Select(e => e.ToString()));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                LastLatency = await connection.GetDatabase(database).PingAsync();
                if (!_available)
                {
                    log?.LogWarning("Redis at {Endpoint} is reachable again", Endpoint);
                    returned?.Invoke();
                }

                _available = true;
                _lastError = null;
                if (!_durabilityChecked)
                {
                    _durabilityChecked = true;
                    await CheckDurabilityAsync(connection);
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                if (_available)
                {
                    log?.LogError("Redis at {Endpoint} is unreachable: {Error}", Endpoint, e.Message);
                }

                _available = false;
                _lastError = Summary(e);
            }

            await Task.Delay(Interval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Warns when the Redis reached would lose accepted jobs: no append-only file, or a policy that evicts keys.</summary>
    private async Task CheckDurabilityAsync(ConnectionMultiplexer connection)
    {
        foreach (var endpoint in connection.GetEndPoints())
        {
            try
            {
                var server = connection.GetServer(endpoint);
                var settings = (await server.ConfigGetAsync("appendonly"))
                    .Concat(await server.ConfigGetAsync("appendfsync"))
                    .Concat(await server.ConfigGetAsync("maxmemory-policy"))
                    .ToDictionary(p => p.Key, p => p.Value);
                foreach (var warning in RedisConnection.DurabilityWarnings(settings))
                {
                    log?.LogWarning("Redis at {Endpoint}: {Warning}", endpoint, warning);
                }

                log?.LogInformation("Redis at {Endpoint}: appendonly {AppendOnly}, appendfsync {Fsync}, maxmemory-policy {Policy}", endpoint,
                    settings.GetValueOrDefault("appendonly"), settings.GetValueOrDefault("appendfsync"), settings.GetValueOrDefault("maxmemory-policy"));
            }
            catch (Exception e)
            {
                log?.LogInformation("Redis at {Endpoint} does not let us read its settings (CONFIG GET: {Error}); make sure it runs with appendonly yes and maxmemory-policy noeviction", endpoint, e.Message);
            }
        }
    }

    /// <summary>StackExchange.Redis messages carry a page of diagnostics after the first clause: keep the clause.</summary>
    private static string Summary(Exception e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" - ", StringComparison.Ordinal);
        var first = cut > 0 ? message[..cut] : message;
        var connection = message.IndexOf("Last Connection Exception: ", StringComparison.Ordinal);
        if (connection > 0)
        {
            var reason = message[(connection + "Last Connection Exception: ".Length)..];
            var end = reason.IndexOfAny([',', '(']);
            first += $" ({(end > 0 ? reason[..end] : reason).Trim()})";
        }

        return first.Length > 200 ? first[..200] : first;
    }
}
