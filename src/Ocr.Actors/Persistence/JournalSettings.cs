using Akka.Configuration;

namespace Ocr.Actors.Persistence;

/// <summary>The embedded journal: a SQLite file under the data directory, through Akka.Persistence.Sql.</summary>
public static class JournalSettings
{
    public static string SqliteConnectionString(string dataDirectory) =>
        $"Data Source={Path.Combine(Path.GetFullPath(dataDirectory), "journal.db")};Cache=Shared;Pooling=True";

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
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  connection-string = "{{escaped}}"
                  provider-name = "SQLite.MS"
                  auto-initialize = on
                }
              }
            }
            """;
        return ConfigurationFactory.ParseString(hocon).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }
}
