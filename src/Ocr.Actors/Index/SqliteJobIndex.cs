using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Ocr.Actors.Jobs;

namespace Ocr.Actors.Index;

/// <summary>
/// The job index in a SQLite file of its own (<c>job-index.db</c> beside the journal), in WAL
/// mode so that reads never wait for the writer. One writer task takes whatever writes have
/// queued up and commits them in one transaction (later writes of a job replace earlier ones in
/// the same batch), so hundreds of submits a second cost a handful of commits.
/// </summary>
public sealed class SqliteJobIndex : IJobIndex
{
    public const string FileName = "job-index.db";
    private const int MaxBatch = 1000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);
    private static readonly string[] Statuses = [JobStatuses.Pending, JobStatuses.Processing, JobStatuses.Completed, JobStatuses.Failed, JobStatuses.Cancelled];

    private readonly string _connectionString;
    private readonly Channel<Write> _writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _writer;
    private readonly Task _writing;

    public SqliteJobIndex(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(Path.GetFullPath(dataDirectory), FileName),
            Pooling = true,
        }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        Execute(_writer, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA busy_timeout = 10000;
            PRAGMA secure_delete = ON; -- a deleted job's entry (its file name) is overwritten, not left in free pages
            CREATE TABLE IF NOT EXISTS jobs (
              job_id TEXT PRIMARY KEY,
              owner TEXT NOT NULL,
              created_at INTEGER NOT NULL,
              status TEXT NOT NULL,
              completed_at INTEGER,
              stored_path TEXT NOT NULL,
              upload_removed INTEGER NOT NULL DEFAULT 0,
              view TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (owner, created_at DESC);
            CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs (created_at) WHERE completed_at IS NULL;
            CREATE INDEX IF NOT EXISTS jobs_uploads_due ON jobs (completed_at) WHERE upload_removed = 0 AND completed_at IS NOT NULL;
            CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (completed_at) WHERE completed_at IS NOT NULL;
            CREATE TABLE IF NOT EXISTS job_counts (status TEXT PRIMARY KEY, count INTEGER NOT NULL);
            """);
        _writing = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public string DatabasePath => new SqliteConnectionStringBuilder(_connectionString).DataSource;

    public Task UpsertAsync(JobIndexEntry entry) => Enqueue(new Write(entry.View.JobId, entry));

    public Task DeleteAsync(JobId jobId) => Enqueue(new Write(jobId.Value, null));

    private Task Enqueue(Write write)
    {
        if (!_writes.Writer.TryWrite(write))
        {
            return Task.FromException(new ObjectDisposedException(nameof(SqliteJobIndex), "the job index is closed"));
        }

        return write.Done.Task;
    }

    public Task<IReadOnlyList<JobStatusView>> ListAsync(UserId owner, int limit, CancellationToken cancellationToken = default) =>
        QueryAsync<JobStatusView>(
            "SELECT view, owner FROM jobs WHERE owner = $owner ORDER BY created_at DESC LIMIT $limit",
            c =>
            {
                c.Parameters.AddWithValue("$owner", owner.Value);
                c.Parameters.AddWithValue("$limit", limit);
            },
            r => JsonSerializer.Deserialize<JobStatusView>(r.GetString(0), Json)! with { Owner = r.GetString(1) },
            cancellationToken);

    public Task<IReadOnlyList<JobStatusView>> QueryAsync(JobQuery query, CancellationToken cancellationToken = default) =>
        QueryAsync<JobStatusView>(
            """
            SELECT view, owner FROM jobs
            WHERE ($status IS NULL OR status = $status) AND ($owner IS NULL OR owner = $owner)
              AND ($node IS NULL OR json_extract(view, '$.Node') = $node) AND ($since IS NULL OR created_at >= $since)
            ORDER BY created_at DESC LIMIT $limit OFFSET $offset
            """,
            c =>
            {
                c.Parameters.AddWithValue("$status", (object?)query.Status ?? DBNull.Value);
                c.Parameters.AddWithValue("$owner", (object?)query.Owner ?? DBNull.Value);
                c.Parameters.AddWithValue("$node", (object?)query.Node ?? DBNull.Value);
                c.Parameters.AddWithValue("$since", query.Since is { } since ? since.ToUnixTimeMilliseconds() : DBNull.Value);
                c.Parameters.AddWithValue("$limit", query.Limit);
                c.Parameters.AddWithValue("$offset", query.Offset);
            },
            r => JsonSerializer.Deserialize<JobStatusView>(r.GetString(0), Json)! with { Owner = r.GetString(1) },
            cancellationToken);

    public async Task<JobCounts> CountsAsync(CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync("SELECT status, count FROM job_counts", _ => { }, r => (Status: r.GetString(0), Count: r.GetInt64(1)), cancellationToken);
        var counts = rows.ToDictionary(r => r.Status, r => r.Count);
        long Of(string status) => counts.GetValueOrDefault(status);
        return new JobCounts(Of(JobStatuses.Pending), Of(JobStatuses.Processing), Of(JobStatuses.Completed), Of(JobStatuses.Failed), Of(JobStatuses.Cancelled));
    }

    public Task<IReadOnlyList<JobId>> UnfinishedAsync(int limit, CancellationToken cancellationToken = default) =>
        QueryAsync("SELECT job_id FROM jobs WHERE completed_at IS NULL ORDER BY created_at LIMIT $limit",
            c => c.Parameters.AddWithValue("$limit", limit), r => new JobId(r.GetString(0)), cancellationToken);

    public Task<IReadOnlyList<(JobId JobId, string StoredPath)>> UploadsDueAsync(DateTimeOffset finishedBy, int limit, CancellationToken cancellationToken = default) =>
        QueryAsync(
            "SELECT job_id, stored_path FROM jobs WHERE upload_removed = 0 AND completed_at IS NOT NULL AND completed_at <= $by ORDER BY completed_at LIMIT $limit",
            c =>
            {
                c.Parameters.AddWithValue("$by", finishedBy.ToUnixTimeMilliseconds());
                c.Parameters.AddWithValue("$limit", limit);
            },
            r => (new JobId(r.GetString(0)), r.GetString(1)), cancellationToken);

    public Task MarkUploadsRemovedAsync(IReadOnlyCollection<JobId> jobIds) =>
        jobIds.Count == 0 ? Task.CompletedTask : Task.WhenAll(jobIds.Select(id => Enqueue(new Write(id.Value, null, UploadRemoved: true))));

    public Task<IReadOnlyList<JobId>> FinishedBeforeAsync(DateTimeOffset finishedBy, int limit, CancellationToken cancellationToken = default) =>
        QueryAsync(
            "SELECT job_id FROM jobs WHERE completed_at IS NOT NULL AND completed_at <= $by ORDER BY completed_at LIMIT $limit",
            c =>
            {
                c.Parameters.AddWithValue("$by", finishedBy.ToUnixTimeMilliseconds());
                c.Parameters.AddWithValue("$limit", limit);
            },
            r => new JobId(r.GetString(0)), cancellationToken);

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Action<SqliteCommand> bind, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        bind(command);
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private async Task WriteLoop()
    {
        var batch = new List<Write>(MaxBatch);
        while (await _writes.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            try
            {
                Commit(batch);
                foreach (var write in batch)
                {
                    write.Done.TrySetResult();
                }
            }
            catch (Exception e)
            {
                foreach (var write in batch)
                {
                    write.Done.TrySetException(e);
                }
            }
        }
    }

    private void Commit(List<Write> batch)
    {
        // The last write of each job in the batch stands for it (an upload mark is kept apart).
        var last = new Dictionary<string, int>();
        for (var i = 0; i < batch.Count; i++)
        {
            if (!batch[i].UploadRemoved)
            {
                last[batch[i].JobId] = i;
            }
        }

        using var transaction = _writer.BeginTransaction();
        using var select = Command(transaction, "SELECT status FROM jobs WHERE job_id = $id", "$id");
        using var upsert = Command(transaction, """
            INSERT INTO jobs (job_id, owner, created_at, status, completed_at, stored_path, view)
            VALUES ($id, $owner, $created, $status, $completed, $path, $view)
            ON CONFLICT (job_id) DO UPDATE SET status = excluded.status, completed_at = excluded.completed_at, view = excluded.view
            """, "$id", "$owner", "$created", "$status", "$completed", "$path", "$view");
        using var delete = Command(transaction, "DELETE FROM jobs WHERE job_id = $id", "$id");
        using var mark = Command(transaction, "UPDATE jobs SET upload_removed = 1 WHERE job_id = $id", "$id");
        var deltas = Statuses.ToDictionary(s => s, _ => 0L);
        for (var i = 0; i < batch.Count; i++)
        {
            var write = batch[i];
            if (write.UploadRemoved)
            {
                mark.Parameters["$id"].Value = write.JobId;
                mark.ExecuteNonQuery();
                continue;
            }

            if (last[write.JobId] != i)
            {
                continue;
            }

            select.Parameters["$id"].Value = write.JobId;
            var before = select.ExecuteScalar() as string;
            if (before is not null)
            {
                deltas[before]--;
            }

            if (write.Entry is { } entry)
            {
                var view = entry.View;
                upsert.Parameters["$id"].Value = view.JobId;
                upsert.Parameters["$owner"].Value = view.Owner;
                upsert.Parameters["$created"].Value = view.CreatedAt.ToUnixTimeMilliseconds();
                upsert.Parameters["$status"].Value = view.Status;
                upsert.Parameters["$completed"].Value = JobStatuses.IsTerminal(view.Status) && view.CompletedAt is { } at ? at.ToUnixTimeMilliseconds() : DBNull.Value;
                upsert.Parameters["$path"].Value = entry.StoredPath;
                upsert.Parameters["$view"].Value = JsonSerializer.Serialize(view, Json);
                upsert.ExecuteNonQuery();
                deltas[view.Status]++;
            }
            else
            {
                delete.Parameters["$id"].Value = write.JobId;
                delete.ExecuteNonQuery();
            }
        }

        using var count = Command(transaction, """
            INSERT INTO job_counts (status, count) VALUES ($status, $delta)
            ON CONFLICT (status) DO UPDATE SET count = count + excluded.count
            """, "$status", "$delta");
        foreach (var (status, delta) in deltas.Where(d => d.Value != 0))
        {
            count.Parameters["$status"].Value = status;
            count.Parameters["$delta"].Value = delta;
            count.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private SqliteCommand Command(SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = _writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _writing;
        await _writer.DisposeAsync();
    }

    private sealed record Write(string JobId, JobIndexEntry? Entry, bool UploadRemoved = false)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
