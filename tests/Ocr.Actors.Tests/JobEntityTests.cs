using Akka.Actor;
using Microsoft.Data.Sqlite;
using Ocr.Actors.Index;
using Ocr.Actors.Jobs;
using Ocr.Pipeline;
using Ocr.Pipeline.Documents;
using Ocr.Pipeline.Engines;
using Ocr.TestSupport;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Actors.Tests;

/// <summary>Sharded job entities on the real SQLite journal and job index, across node restarts.</summary>
public sealed class JobEntityTests : IAsyncLifetime
{
    private static readonly UserId Alice = new("alice");
    private static readonly UserId Bob = new("bob");
    private readonly string _data = Path.Combine(Path.GetTempPath(), "akkaocr-entities-" + Guid.NewGuid().ToString("N"));
    private readonly TesseractPool _pool = new(new PipelineOptions { EngineCount = 1 });

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_data);
        return _pool.StartAsync();
    }

    private Task<JobNode> Start(JobOptions? options = null) => JobNode.StartAsync(_data, _pool, options);

    [Fact]
    public async Task A_finished_job_its_history_and_the_counters_survive_a_node_restart()
    {
        var ids = new List<JobId>();
        await using (var node = await Start())
        {
            foreach (var (owner, text) in new[] { (Alice, "first note"), (Bob, "bob's note"), (Alice, "second note") })
            {
                var id = JobId.New();
                ids.Add(id);
                (await node.SubmitAsync(id, owner, JobNode.TextSpec(_data, text))).ShouldBeOfType<Accepted>();
                (await node.WaitTerminalAsync(id, owner)).Status.ShouldBe(JobStatuses.Completed);
                await Task.Delay(5); // distinct acceptance times
            }
        }

        await using var again = await Start();
        (await again.Ask(new JobCommands.GetResult(ids[2], Alice))).ShouldBeOfType<Result>().View.ExtractedText.ShouldBe("second note");
        (await again.Ask(new JobCommands.GetStatus(ids[2], Bob))).ShouldBeOfType<Forbidden>();
        (await again.Ask(new JobCommands.GetStatus(JobId.New(), Alice))).ShouldBeOfType<NotFound>();
        var history = await again.Index.ListAsync(Alice, 10);
        history.Select(j => j.JobId).ShouldBe([ids[2].Value, ids[0].Value]); // newest first, only Alice's
        history.ShouldAllBe(j => j.Status == JobStatuses.Completed && j.Owner == "alice" && j.PagesDone == 1);
        (await again.Index.ListAsync(Alice, 1)).Single().JobId.ShouldBe(ids[2].Value);
        (await again.Index.CountsAsync()).ShouldBe(new JobCounts(0, 0, 3, 0, 0));
    }

    [Fact]
    public async Task A_job_stopped_mid_document_resumes_on_the_next_node_and_reads_no_page_twice()
    {
        var id = JobId.New();
        var pdf = CopyToUploads("pdfs/ocrmypdf_cardinal.pdf"); // four scanned pages, a few seconds each
        var spec = new JobSpec("scan.pdf", new FileInfo(pdf).Length, pdf, DocumentKind.Pdf, "tesseract", "eng", 300, null, true);
        var options = new JobOptions { SnapshotEvery = 2 }; // snapshots before, during and after the interruption
        await using (var node = await Start(options))
        {
            (await node.SubmitAsync(id, Alice, spec)).ShouldBeOfType<Accepted>();
            var interrupted = await node.WaitForAsync(id, Alice, v => v.PagesDone >= 1, seconds: 120);
            interrupted.Status.ShouldBe(JobStatuses.Processing);
        }

        var pagesBefore = PersistedPages(id);
        pagesBefore.Count.ShouldBeInRange(1, 3);
        (await IndexedStatus(id)).ShouldBe(JobStatuses.Processing);

        // Nothing asks for the job: the new node's housekeeper wakes it from the index.
        await using var again = await Start(options);
        var done = await again.WaitTerminalAsync(id, Alice, seconds: 180);

        done.Status.ShouldBe(JobStatuses.Completed);
        done.PagesDone.ShouldBe(4);
        var pages = PersistedPages(id);
        pages.Order().ShouldBe([1, 2, 3, 4]); // each page persisted once: the pages done before were skipped
        (await IndexedStatus(id)).ShouldBe(JobStatuses.Completed);
        // The job's state holds page summaries; the result's text and words are read back from the
        // events of both runs, snapshots or not.
        Count("journal.db", "SELECT count(*) FROM snapshot WHERE persistence_id = $p", id).ShouldBeGreaterThan(0);
        var result = (await again.Ask(new JobCommands.GetResult(id, Alice))).ShouldBeOfType<Result>().View;
        result.Pages.Select(p => p.PageNumber).ShouldBe([1, 2, 3, 4]);
        result.Pages.ShouldAllBe(p => p.Text.Length > 20 && p.Words.Count() > 5);
        result.ExtractedText.ShouldBe(string.Join("\n\n", result.Pages.Select(p => p.Text)));
    }

    [Fact]
    public async Task Deleting_a_job_leaves_nothing_in_the_journal_the_snapshots_the_index_or_the_uploads()
    {
        var options = new JobOptions { SnapshotEvery = 2 }; // so the job has snapshots to delete
        await using var node = await Start(options);
        var id = JobId.New();
        var spec = JobNode.TextSpec(_data, "patient letter: Jane Roe, 1 Main St");
        (await node.SubmitAsync(id, Alice, spec)).ShouldBeOfType<Accepted>();
        await node.WaitTerminalAsync(id, Alice);
        await WaitUntil(() => Count("journal.db", "SELECT count(*) FROM snapshot WHERE persistence_id = $p", id) > 0);
        var kept = JobId.New();
        (await node.SubmitAsync(kept, Alice, JobNode.TextSpec(_data, "another letter"))).ShouldBeOfType<Accepted>();
        await node.WaitTerminalAsync(kept, Alice);

        (await node.Ask(new JobCommands.DeleteJob(id, Bob))).ShouldBeOfType<Forbidden>();
        (await node.Ask(new JobCommands.DeleteJob(id, Alice))).ShouldBeOfType<Deleted>();

        Count("journal.db", "SELECT count(*) FROM journal WHERE persistence_id = $p AND manifest <> 'JobDeleted'", id).ShouldBe(0);
        Count("journal.db", "SELECT count(*) FROM snapshot WHERE persistence_id = $p", id).ShouldBe(0);
        Count("journal.db", "SELECT count(*) FROM journal WHERE instr(CAST(message AS TEXT), 'Jane Roe') > 0", id).ShouldBe(0);
        Count("job-index.db", "SELECT count(*) FROM jobs WHERE instr(view, 'note.txt') > 0 AND job_id = $j", id).ShouldBe(0);
        Count("job-index.db", "SELECT count(*) FROM jobs WHERE job_id = $j", id).ShouldBe(0);
        File.Exists(spec.StoredPath).ShouldBeFalse();
        (await node.Ask(new JobCommands.GetStatus(id, Alice))).ShouldBeOfType<NotFound>();
        (await node.Ask(new JobCommands.DeleteJob(id, Alice))).ShouldBeOfType<NotFound>();
        (await node.Index.ListAsync(Alice, 10)).Select(j => j.JobId).ShouldBe([kept.Value]);
        (await node.Index.CountsAsync()).ShouldBe(new JobCounts(0, 0, 1, 0, 0));
    }

    [Fact]
    public async Task Retention_deletes_finished_jobs_once_they_are_older_than_the_retention_period()
    {
        var options = new JobOptions { Retention = TimeSpan.FromSeconds(2), RetentionSweepInterval = TimeSpan.FromMilliseconds(300), CleanupDelay = TimeSpan.Zero };
        await using var node = await Start(options);
        var id = JobId.New();
        var spec = JobNode.TextSpec(_data, "old result");
        (await node.SubmitAsync(id, Alice, spec)).ShouldBeOfType<Accepted>();
        (await node.WaitTerminalAsync(id, Alice)).Status.ShouldBe(JobStatuses.Completed);
        (await node.Index.ListAsync(Alice, 10)).ShouldHaveSingleItem();

        await WaitUntil(() => Count("job-index.db", "SELECT count(*) FROM jobs WHERE job_id = $j", id) == 0, seconds: 30);

        (await node.Ask(new JobCommands.GetStatus(id, Alice))).ShouldBeOfType<NotFound>();
        Count("journal.db", "SELECT count(*) FROM journal WHERE persistence_id = $p AND manifest <> 'JobDeleted'", id).ShouldBe(0);
        File.Exists(spec.StoredPath).ShouldBeFalse();
        (await node.Index.CountsAsync()).Total.ShouldBe(0);
    }

    [Fact]
    public async Task The_upload_is_removed_after_the_cleanup_delay_and_the_result_stays()
    {
        await using var node = await Start(new JobOptions { CleanupDelay = TimeSpan.FromSeconds(1), UploadSweepInterval = TimeSpan.FromMilliseconds(200) });
        var id = JobId.New();
        var spec = JobNode.TextSpec(_data, "short lived upload");
        (await node.SubmitAsync(id, Alice, spec)).ShouldBeOfType<Accepted>();
        await node.WaitTerminalAsync(id, Alice);

        await WaitUntil(() => !File.Exists(spec.StoredPath), seconds: 20);

        (await node.Ask(new JobCommands.GetResult(id, Alice))).ShouldBeOfType<Result>().View.ExtractedText.ShouldBe("short lived upload");
    }

    [Fact]
    public async Task A_full_queue_refuses_before_anything_is_persisted()
    {
        await using var node = await Start(new JobOptions { MaxConcurrentJobs = 1, MaxQueuedJobs = 1 });

        var first = await node.Admission.Ask<IJobReply>(new NodeAdmission.Reserve(JobId.New()), TimeSpan.FromSeconds(5));
        var second = await node.Admission.Ask<IJobReply>(new NodeAdmission.Reserve(JobId.New()), TimeSpan.FromSeconds(5));

        first.ShouldBeOfType<NodeAdmission.Reserved>();
        second.ShouldBeOfType<QueueFull>().RetryAfterSeconds.ShouldBeGreaterThan(0);
        (await node.Index.CountsAsync()).Total.ShouldBe(0);
    }

    [Theory]
    [InlineData(DocumentKind.Pdf)]
    [InlineData(DocumentKind.Image)]
    [InlineData(DocumentKind.Text)]
    public async Task A_node_that_cannot_read_the_upload_fails_the_job_with_an_error_naming_the_node_and_the_setting(DocumentKind kind)
    {
        await using var node = await Start();
        var id = JobId.New();
        var missing = Path.Combine(_data, "elsewhere", Guid.NewGuid().ToString("N") + ".upload"); // a volume this node does not see
        var spec = new JobSpec("scan", 1000, missing, kind, "tesseract", "eng", null, null, true);

        (await node.SubmitAsync(id, Alice, spec)).ShouldBeOfType<Accepted>();
        var final = await node.WaitTerminalAsync(id, Alice, seconds: 30);

        final.Status.ShouldBe(JobStatuses.Failed);
        final.Error.ShouldNotBeNull();
        final.Error.ShouldContain("test-node");
        final.Error.ShouldContain("OCR_UPLOADS_DIR");
    }

    private string CopyToUploads(string corpusFile)
    {
        var uploads = Path.Combine(_data, "uploads");
        Directory.CreateDirectory(uploads);
        var path = Path.Combine(uploads, Guid.NewGuid().ToString("N") + ".upload");
        File.Copy(EvalCorpus.PathOf(corpusFile), path);
        return path;
    }

    private List<int> PersistedPages(JobId id)
    {
        // The page events themselves, as the journal holds them.
        using var connection = Open("journal.db");
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT message FROM journal WHERE persistence_id = $p AND manifest = 'PageCompleted' ORDER BY sequence_number";
        command.Parameters.AddWithValue("$p", JobEntity.PersistenceIdOf(id));
        using var reader = command.ExecuteReader();
        var pages = new List<int>();
        while (reader.Read())
        {
            using var json = System.Text.Json.JsonDocument.Parse((byte[])reader[0]);
            pages.Add(json.RootElement.GetProperty("Page").GetProperty("PageNumber").GetInt32());
        }

        return pages;
    }

    private async Task<string?> IndexedStatus(JobId id)
    {
        await using var index = new SqliteJobIndex(_data);
        var row = (await index.ListAsync(Alice, 100)).SingleOrDefault(j => j.JobId == id.Value);
        return row?.Status;
    }

    private long Count(string file, string sql, JobId id)
    {
        using var connection = Open(file);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$p", JobEntity.PersistenceIdOf(id));
        command.Parameters.AddWithValue("$j", id.Value);
        return Convert.ToInt64(command.ExecuteScalar());
    }

    private SqliteConnection Open(string file)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_data, file)};Pooling=False");
        connection.Open();
        return connection;
    }

    private static async Task WaitUntil(Func<bool> condition, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not met in time");
            }

            await Task.Delay(50);
        }
    }

    public Task DisposeAsync()
    {
        _pool.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }
}
