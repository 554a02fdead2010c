using System.Text.Json;
using Ocr.Actors.Jobs;
using StackExchange.Redis;

namespace Ocr.Actors.Index;

/// <summary>
/// The job index of cluster mode, in Redis so that every node sees every job. Per job one hash
/// (owner, status, times, stored path, the status object as JSON); sorted sets for the owner's
/// history, unfinished jobs, uploads due and finished jobs; one hash of counts per status. Each
/// write is one Lua script, so the entry, the sets and the counts never disagree. All keys carry
/// one hash tag (<c>{prefix:index}</c>): they share a slot in a Redis Cluster and the scripts never
/// cross slots.
/// </summary>
public sealed class RedisJobIndex : IJobIndex
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    // KEYS: job, owner set, unfinished, uploads due, finished, counts, all jobs. ARGV: id, owner, created, status, completed ('' if not), path, view.
    private static readonly LuaScript UpsertScript = LuaScript.Prepare("""
        local before = redis.call('HGET', KEYS[1], 'status')
        if before then redis.call('HINCRBY', KEYS[6], before, -1) end
        local removed = redis.call('HGET', KEYS[1], 'upload_removed') or '0'
        redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'created', ARGV[3], 'status', ARGV[4], 'completed', ARGV[5], 'path', ARGV[6], 'view', ARGV[7], 'upload_removed', removed)
        redis.call('HINCRBY', KEYS[6], ARGV[4], 1)
        redis.call('ZADD', KEYS[2], tonumber(ARGV[3]), ARGV[1])
        redis.call('ZADD', KEYS[7], tonumber(ARGV[3]), ARGV[1])
        if ARGV[5] == '' then
          redis.call('ZADD', KEYS[3], tonumber(ARGV[3]), ARGV[1])
          redis.call('ZREM', KEYS[4], ARGV[1])
          redis.call('ZREM', KEYS[5], ARGV[1])
        else
          redis.call('ZREM', KEYS[3], ARGV[1])
          redis.call('ZADD', KEYS[5], tonumber(ARGV[5]), ARGV[1])
          if removed == '0' then redis.call('ZADD', KEYS[4], tonumber(ARGV[5]), ARGV[1]) end
        end
        return 1
        """);

    // KEYS: job, unfinished, uploads due, finished, counts, owner-set prefix, all jobs. ARGV: id.
    private static readonly LuaScript DeleteScript = LuaScript.Prepare("""
        local entry = redis.call('HMGET', KEYS[1], 'status', 'owner')
        if entry[1] then redis.call('HINCRBY', KEYS[5], entry[1], -1) end
        if entry[2] then redis.call('ZREM', KEYS[6] .. entry[2], ARGV[1]) end
        redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[1])
        redis.call('ZREM', KEYS[4], ARGV[1])
        redis.call('ZREM', KEYS[7], ARGV[1])
        return 1
        """);

    private readonly IDatabase _db;
    private readonly string _tag;

    public RedisJobIndex(IConnectionMultiplexer connection, int database, string prefix)
    {
        _db = connection.GetDatabase(database);
        _tag = $"{{{prefix}:index}}";
    }

    private RedisKey Job(string id) => $"{_tag}:job:{id}";

    private RedisKey Owner(string owner) => $"{_tag}:owner:{owner}";

    private RedisKey Unfinished => $"{_tag}:unfinished";

    private RedisKey UploadsDue => $"{_tag}:uploads-due";

    private RedisKey Finished => $"{_tag}:finished";

    private RedisKey Counts => $"{_tag}:counts";

    private RedisKey All => $"{_tag}:all";

    public Task UpsertAsync(JobIndexEntry entry)
    {
        var view = entry.View;
        var completed = JobStatuses.IsTerminal(view.Status) && view.CompletedAt is { } at ? at.ToUnixTimeMilliseconds().ToString() : "";
        RedisKey[] keys = [Job(view.JobId), Owner(view.Owner), Unfinished, UploadsDue, Finished, Counts, All];
        RedisValue[] args = [view.JobId, view.Owner, view.CreatedAt.ToUnixTimeMilliseconds(), view.Status, completed, entry.StoredPath, JsonSerializer.Serialize(view, Json)];
        return _db.ScriptEvaluateAsync(UpsertScript.ExecutableScript, keys, args);
    }

    public Task DeleteAsync(JobId jobId) =>
        _db.ScriptEvaluateAsync(DeleteScript.ExecutableScript,
            [Job(jobId.Value), Unfinished, UploadsDue, Finished, Counts, $"{_tag}:owner:", All], [jobId.Value]);

    public async Task<IReadOnlyList<JobStatusView>> ListAsync(UserId owner, int limit, CancellationToken cancellationToken = default)
    {
        var ids = await _db.SortedSetRangeByRankAsync(Owner(owner.Value), 0, limit - 1, Order.Descending);
        var views = await Task.WhenAll(ids.Select(id => _db.HashGetAsync(Job(id!), "view")));
        return views.Where(v => v.HasValue)
            .Select(v => JsonSerializer.Deserialize<JobStatusView>(v.ToString(), Json)! with { Owner = owner.Value })
            .ToList();
    }

    public async Task<IReadOnlyList<JobStatusView>> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        // Newest first, a page of ids at a time, filtered on the status objects; stops once the page is full.
        const int Chunk = 200;
        var min = query.Since is { } since ? since.ToUnixTimeMilliseconds() : double.NegativeInfinity;
        var found = new List<JobStatusView>();
        var skipped = 0;
        for (long start = 0; found.Count < query.Limit; start += Chunk)
        {
            var ids = await _db.SortedSetRangeByScoreAsync(All, min, double.PositiveInfinity, order: Order.Descending, skip: start, take: Chunk);
            if (ids.Length == 0)
            {
                break;
            }

            var entries = await Task.WhenAll(ids.Select(id => _db.HashGetAsync(Job(id!), ["view", "owner"])));
            foreach (var entry in entries.Where(e => e[0].HasValue))
            {
                var view = JsonSerializer.Deserialize<JobStatusView>(entry[0].ToString(), Json)! with { Owner = entry[1].ToString() };
                if (!query.Matches(view) || skipped++ < query.Offset)
                {
                    continue;
                }

                found.Add(view);
                if (found.Count == query.Limit)
                {
                    break;
                }
            }
        }

        return found;
    }

    public async Task<JobCounts> CountsAsync(CancellationToken cancellationToken = default)
    {
        var counts = (await _db.HashGetAllAsync(Counts)).ToDictionary(e => e.Name.ToString(), e => (long)e.Value);
        long Of(string status) => counts.GetValueOrDefault(status);
        return new JobCounts(Of(JobStatuses.Pending), Of(JobStatuses.Processing), Of(JobStatuses.Completed), Of(JobStatuses.Failed), Of(JobStatuses.Cancelled));
    }

    public async Task<IReadOnlyList<JobId>> UnfinishedAsync(int limit, CancellationToken cancellationToken = default) =>
        (await _db.SortedSetRangeByRankAsync(Unfinished, 0, limit - 1)).Select(id => new JobId(id!)).ToList();

    public async Task<IReadOnlyList<(JobId JobId, string StoredPath)>> UploadsDueAsync(DateTimeOffset finishedBy, int limit, CancellationToken cancellationToken = default)
    {
        var ids = await _db.SortedSetRangeByScoreAsync(UploadsDue, double.NegativeInfinity, finishedBy.ToUnixTimeMilliseconds(), take: limit);
        var paths = await Task.WhenAll(ids.Select(id => _db.HashGetAsync(Job(id!), "path")));
        return ids.Zip(paths, (id, path) => (Id: id, Path: path)).Where(p => p.Path.HasValue).Select(p => (new JobId(p.Id!), p.Path.ToString())).ToList();
    }

    public Task MarkUploadsRemovedAsync(IReadOnlyCollection<JobId> jobIds) =>
        Task.WhenAll(jobIds.Select(async id =>
        {
            var batch = _db.CreateTransaction();
            batch.AddCondition(Condition.KeyExists(Job(id.Value)));
            _ = batch.HashSetAsync(Job(id.Value), "upload_removed", "1");
            _ = batch.SortedSetRemoveAsync(UploadsDue, id.Value);
            await batch.ExecuteAsync();
        }));

    public async Task<IReadOnlyList<JobId>> FinishedBeforeAsync(DateTimeOffset finishedBy, int limit, CancellationToken cancellationToken = default) =>
        (await _db.SortedSetRangeByScoreAsync(Finished, double.NegativeInfinity, finishedBy.ToUnixTimeMilliseconds(), take: limit))
        .Select(id => new JobId(id!)).ToList();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
