using Akka.Configuration;

namespace Ocr.Actors.Persistence;

/// <summary>The embedded journal: a SQLite file under the data directory, through Akka.Persistence.Sql.</summary>
public static class JournalSettings
{
    public static string SqliteConnectionString(string dataDirectory) =>
        $"Data Source={Path.Combine(Path.GetFullPath(dataDirectory), "journal.db")};Pooling=True";

    /// <summary>
    /// Puts the journal file in write-ahead-log mode (a setting the file keeps): a commit then
    /// costs one sync of the log instead of several of the rollback journal, and reads (recovering
    /// jobs) do not wait for writes.
    /// </summary>
    public static void UseWriteAheadLog(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(SqliteConnectionString(dataDirectory));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;";
        command.ExecuteNonQuery();
    }

    public static Config SqliteHocon(string connectionString)
    {
        var escaped = connectionString.Replace("\\", "\\\\").Replace("\"", "\\\"");
        var hocon = $$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  connection-string = "{{escaped}}"
                  # SQLite.Classic does not fail fast (requests just time out); the Microsoft.Data.Sqlite provider does.
                  provider-name = "SQLite.MS"
                  auto-initialize = on
                  # Microsoft.Data.Sqlite opens an unspecified (serializable) transaction with BEGIN IMMEDIATE,
                  # which takes the write lock: every recovery's read then queues behind the writer and
                  # retries every 150 ms. Read-uncommitted opens a plain BEGIN; without a shared cache it
                  # changes nothing else (write-ahead-log readers see committed data only).
                  read-isolation-level = read-uncommitted
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  connection-string = "{{escaped}}"
                  provider-name = "SQLite.MS"
                  auto-initialize = on
                  read-isolation-level = read-uncommitted
                }
              }
            }
            """;
        return ConfigurationFactory.ParseString(hocon).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    /// <summary>The Redis journal and snapshot store (our own plugin on StackExchange.Redis).</summary>
    public static Config RedisHocon(string connectionString, int database, string keyPrefix)
    {
        static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        var settings = $$"""
              connection-string = {{Quote(connectionString)}}
              database = {{database}}
              key-prefix = {{Quote(keyPrefix)}}
              command-timeout = 5s
              plugin-dispatcher = "akka.actor.default-dispatcher"
              circuit-breaker { max-failures = 5, call-timeout = 10s, reset-timeout = 10s }
            """;
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.redis"
                redis {
                  class = "{{typeof(Redis.RedisJournal).AssemblyQualifiedName}}"
                  {{settings}}
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.redis"
                redis {
                  class = "{{typeof(Redis.RedisSnapshotStore).AssemblyQualifiedName}}"
                  {{settings}}
                }
              }
            }
            """);
    }
}
