using Ocr.Actors.Index;
using Ocr.Actors.Jobs;
using Ocr.Actors.Persistence;
using Ocr.TestSupport;

namespace Ocr.Actors.Tests;

/// <summary>One contract for both job indexes: the embedded SQLite file and cluster mode's Redis.</summary>
public abstract class JobIndexContractTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    protected abstract IJobIndex Index { get; }

    /// <summary>Each test's own owner names and ids, so tests sharing one store never see each other's jobs.</summary>
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    private JobIndexEntry Entry(string id, string owner, string status, int createdMinute, int? completedMinute = null) => new(
        new JobStatusView($"{_run}-{id}", status, 0, status, "f.png", 10, "auto", T0.AddMinutes(createdMinute), null,
            completedMinute is { } c ? T0.AddMinutes(c) : null, 0, null, null, $"{_run}-{owner}", "node-x"),
        $"/uploads/{_run}-{id}.upload");

    private JobId Id(string id) => new($"{_run}-{id}");

    [Fact]
    public async Task History_is_the_owners_jobs_newest_first_with_the_latest_status_object()
    {
        await Index.UpsertAsync(Entry("a", "alice", JobStatuses.Pending, 1));
        await Index.UpsertAsync(Entry("b", "alice", JobStatuses.Pending, 2));
        await Index.UpsertAsync(Entry("c", "bob", JobStatuses.Pending, 3));
        await Index.UpsertAsync(Entry("a", "alice", JobStatuses.Completed, 1, completedMinute: 5));

        var alice = await Index.ListAsync(new UserId($"{_run}-alice"), 10);

        alice.Select(v => v.JobId).ShouldBe([$"{_run}-b", $"{_run}-a"]);
        alice[1].Status.ShouldBe(JobStatuses.Completed);
        alice[1].Owner.ShouldBe($"{_run}-alice");
        alice[1].Node.ShouldBe("node-x");
        (await Index.ListAsync(new UserId($"{_run}-alice"), 1)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Counts_follow_status_changes_and_deletions()
    {
        var before = await Index.CountsAsync();
        await Index.UpsertAsync(Entry("a", "carol", JobStatuses.Pending, 1));
        await Index.UpsertAsync(Entry("a", "carol", JobStatuses.Processing, 1));
        await Index.UpsertAsync(Entry("b", "carol", JobStatuses.Pending, 2));
        await Index.UpsertAsync(Entry("b", "carol", JobStatuses.Failed, 2, completedMinute: 3));

        var counts = await Index.CountsAsync();
        (counts.Processing - before.Processing).ShouldBe(1);
        (counts.Failed - before.Failed).ShouldBe(1);
        (counts.Pending - before.Pending).ShouldBe(0);

        await Index.DeleteAsync(Id("b"));
        await Index.DeleteAsync(Id("b")); // twice: the second changes nothing
        (await Index.CountsAsync()).Failed.ShouldBe(before.Failed);
        (await Index.ListAsync(new UserId($"{_run}-carol"), 10)).Select(v => v.JobId).ShouldBe([$"{_run}-a"]);
    }

    [Fact]
    public async Task Unfinished_uploads_due_and_finished_jobs_are_found_by_time_and_marked_uploads_drop_out()
    {
        await Index.UpsertAsync(Entry("open", "dave", JobStatuses.Processing, 1));
        await Index.UpsertAsync(Entry("early", "dave", JobStatuses.Completed, 2, completedMinute: 10));
        await Index.UpsertAsync(Entry("late", "dave", JobStatuses.Cancelled, 3, completedMinute: 20));

        (await Index.UnfinishedAsync(100_000)).ShouldContain(Id("open"));
        (await Index.UnfinishedAsync(100_000)).ShouldNotContain(Id("early"));
        var due = await Index.UploadsDueAsync(T0.AddMinutes(15), 100_000);
        due.ShouldContain((Id("early"), $"/uploads/{_run}-early.upload"));
        due.Select(d => d.JobId).ShouldNotContain(Id("late"));
        (await Index.FinishedBeforeAsync(T0.AddMinutes(25), 100_000)).ShouldContain(Id("late"));

        await Index.MarkUploadsRemovedAsync([Id("early")]);
        await Index.UpsertAsync(Entry("early", "dave", JobStatuses.Completed, 2, completedMinute: 10)); // a later write keeps the mark

        (await Index.UploadsDueAsync(T0.AddMinutes(15), 100_000)).Select(d => d.JobId).ShouldNotContain(Id("early"));
        (await Index.FinishedBeforeAsync(T0.AddMinutes(15), 100_000)).ShouldContain(Id("early"));
    }
}

public sealed class SqliteJobIndexContractTests : JobIndexContractTests, IAsyncLifetime
{
    private readonly SqliteJobIndex _index = new(Path.Combine(Path.GetTempPath(), "akkaocr-index-" + Guid.NewGuid().ToString("N")));

    protected override IJobIndex Index => _index;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _index.DisposeAsync();
}

public sealed class RedisJobIndexContractTests(RedisJobIndexContractTests.Server server) : JobIndexContractTests, IClassFixture<RedisJobIndexContractTests.Server>
{
    protected override IJobIndex Index { get; } = new RedisJobIndex(RedisConnection.Get(server.Redis.ConnectionString), 4, "index-contract");

    public sealed class Server : IAsyncLifetime
    {
        public RedisServer Redis { get; } = new();

        public Task InitializeAsync() => Redis.InitializeAsync();

        public Task DisposeAsync() => Redis.DisposeAsync();
    }
}
