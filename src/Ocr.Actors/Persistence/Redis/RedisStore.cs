using System.Collections.Concurrent;
using Akka.Configuration;
using StackExchange.Redis;

namespace Ocr.Actors.Persistence.Redis;

/// <summary>
/// What the Redis journal and snapshot store share: one connection per connection string, and the
/// key layout. Every key of a persistence id carries the id as its hash tag (<c>{id}</c>), so one
/// job's keys live in one slot of a Redis Cluster and its scripts never cross slots.
/// </summary>
internal sealed class RedisStore
{
    private RedisStore(IDatabase database, string prefix)
    {
        Database = database;
        Prefix = prefix;
    }

    public IDatabase Database { get; }

    public string Prefix { get; }

    public static RedisStore From(Config config)
    {
        var connectionString = config.GetString("connection-string");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ConfigurationException("the Redis journal needs connection-string (REDIS_URL)");
        }

        // Commands fail rather than wait for a Redis that has gone away: the plugin's circuit breaker does the rest.
        var connection = RedisConnection.Get(connectionString, config.GetTimeSpan("command-timeout", TimeSpan.FromSeconds(5)));
        return new RedisStore(connection.GetDatabase(config.GetInt("database", 0)), config.GetString("key-prefix", "akkaocr"));
    }

    public RedisKey Events(string persistenceId) => $"{Prefix}:{{{persistenceId}}}:events";

    public RedisKey Highest(string persistenceId) => $"{Prefix}:{{{persistenceId}}}:highest";

    public RedisKey SnapshotIndex(string persistenceId) => $"{Prefix}:{{{persistenceId}}}:snapshots";

    public RedisKey Snapshots(string persistenceId) => $"{Prefix}:{{{persistenceId}}}:snapshot-data";
}
