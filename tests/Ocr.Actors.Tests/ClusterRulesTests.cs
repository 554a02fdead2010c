using Ocr.Actors.Membership;
using Ocr.Actors.Persistence;
using static Ocr.Actors.Membership.DowningRule;

namespace Ocr.Actors.Tests;

public sealed class ClusterRulesTests
{
    private static readonly DowningSettings Settings = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    // unreachable s, last beat s ago (null: never / goodbye), Redis read, self older → verdict
    [InlineData(1.0, 30.0, true, true, Verdict.Wait)] // not stable yet, even though it is surely dead
    [InlineData(2.5, 6.0, true, true, Verdict.DownIt)] // silent in Redis too: dead (the survivor of a crash, oldest)
    [InlineData(2.5, 6.0, true, false, Verdict.DownIt)] // the same when this node is the younger one
    [InlineData(2.5, null, true, false, Verdict.DownIt)] // no heartbeat at all
    [InlineData(2.5, 1.0, true, true, Verdict.Wait)] // alive in Redis, a partition: the oldest keeps going, waits for the other to go
    [InlineData(2.5, 1.0, true, false, Verdict.DownSelf)] // alive in Redis and older than us: we go
    [InlineData(30.0, 60.0, false, true, Verdict.Wait)] // Redis not readable from here: decide nothing
    public void A_member_is_downed_only_when_it_is_silent_in_Redis_too_and_a_partition_keeps_the_oldest(
        double unreachableSeconds, double? beatSecondsAgo, bool read, bool selfOlder, Verdict expected)
    {
        DateTimeOffset? lastBeat = beatSecondsAgo is { } ago ? Now.AddSeconds(-ago) : null;

        Decide(TimeSpan.FromSeconds(unreachableSeconds), lastBeat, read, selfOlder, Now, Settings).ShouldBe(expected);
    }

    [Theory]
    [InlineData("redis://127.0.0.1:6380", "127.0.0.1:6380", null)]
    [InlineData("redis://redis", "redis:6379", null)]
    [InlineData("redis://:s3cret@db.internal:6379", "db.internal:6379", "s3cret")]
    [InlineData("redis://ops:p%40ss@db:7000", "db:7000", "p@ss")]
    [InlineData("localhost:6379,abortConnect=false", "localhost:6379", null)]
    public void REDIS_URL_becomes_a_StackExchange_configuration(string url, string endpoint, string? password)
    {
        var (configuration, error) = RedisConnection.Parse(url);

        error.ShouldBeNull();
        var options = StackExchange.Redis.ConfigurationOptions.Parse(configuration!);
        options.EndPoints.Select(e => e.ToString()).ShouldContain(e => e!.EndsWith(endpoint.Split(':')[1]) && e.Contains(endpoint.Split(':')[0]));
        options.Password.ShouldBe(password);
    }

    [Theory]
    [InlineData("redis://")]
    [InlineData(",,,")]
    public void A_REDIS_URL_without_a_server_is_refused_with_a_reason(string url)
    {
        var (configuration, error) = RedisConnection.Parse(url);

        configuration.ShouldBeNull();
        error.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public void A_Redis_that_would_lose_jobs_is_named_for_what_is_wrong()
    {
        RedisConnection.DurabilityWarnings(new Dictionary<string, string> { ["appendonly"] = "yes", ["maxmemory-policy"] = "noeviction" }).ShouldBeEmpty();

        var warnings = RedisConnection.DurabilityWarnings(new Dictionary<string, string> { ["appendonly"] = "no", ["maxmemory-policy"] = "allkeys-lru" }).ToList();

        warnings.Count.ShouldBe(2);
        warnings[0].ShouldContain("appendonly");
        warnings[1].ShouldContain("allkeys-lru");
    }
}
