using StackExchange.Redis;

namespace Ocr.Actors.Membership;

/// <summary>
/// Each node's heartbeat in Redis (a hash of Akka address → last beat, in ms). A starting node
/// joins the nodes that beat recently, so a restarted seed rejoins its cluster instead of
/// founding a second one; the downing provider reads a silent node's beat to tell a dead node
/// from a partition.
/// </summary>
public sealed class NodeRegistry(IConnectionMultiplexer connection, int database, string prefix)
{
    private readonly IDatabase _db = connection.GetDatabase(database);
    private readonly RedisKey _key = $"{{{prefix}:cluster}}:nodes";

    public Task BeatAsync(string address, DateTimeOffset now) => _db.HashSetAsync(_key, address, now.ToUnixTimeMilliseconds());

    public Task ForgetAsync(string address) => _db.HashDeleteAsync(_key, address);

    /// <summary>When the node last beat, or null if it never did (or said goodbye).</summary>
    public async Task<DateTimeOffset?> LastBeatAsync(string address)
    {
        var value = await _db.HashGetAsync(_key, address);
        return value.HasValue ? DateTimeOffset.FromUnixTimeMilliseconds((long)value) : null;
    }

    /// <summary>Addresses that beat within <paramref name="within"/> of <paramref name="now"/>.</summary>
    public async Task<IReadOnlyList<string>> LiveAsync(DateTimeOffset now, TimeSpan within)
    {
        var entries = await _db.HashGetAllAsync(_key);
        var since = (now - within).ToUnixTimeMilliseconds();
        return entries.Where(e => (long)e.Value >= since).Select(e => e.Name.ToString()).ToList();
    }
}
