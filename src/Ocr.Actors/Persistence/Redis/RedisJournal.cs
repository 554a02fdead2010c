using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Akka.Serialization;
using StackExchange.Redis;

namespace Ocr.Actors.Persistence.Redis;

/// <summary>
/// Event journal on Redis. Per persistence id: a sorted set of serialized events scored by
/// sequence number, and the highest sequence number ever written, which deletes never lower.
/// Each AtomicWrite is one Lua script that refuses a first sequence number at or below the stored
/// highest: a second writer of the same id (a split brain, a zombie node) fails its write instead
/// of interleaving events.
/// </summary>
public sealed class RedisJournal : AsyncWriteJournal
{
    private const int ReplayPage = 500;

    // KEYS: events, highest. ARGV: seq1, event1, seq2, event2, ... (ascending, consecutive).
    private const string WriteScript = """
        local highest = tonumber(redis.call('GET', KEYS[2]) or '0')
        local first = tonumber(ARGV[1])
        if first <= highest then
          return redis.error_reply('sequence number ' .. first .. ' is at or below the highest stored (' .. highest .. '): another writer has this persistence id')
        end
        for i = 1, #ARGV, 2 do
          redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
        end
        redis.call('SET', KEYS[2], ARGV[#ARGV - 1])
        return #ARGV / 2
        """;

    private readonly RedisStore _store;
    private readonly Serializer _serializer;

    public RedisJournal(Akka.Configuration.Config config)
    {
        _store = RedisStore.From(config);
        _serializer = Context.System.Serialization.FindSerializerForType(typeof(Persistent));
    }

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var results = new List<Exception?>();
        var writes = new List<Task>();
        foreach (var write in messages)
        {
            var events = (IImmutableList<IPersistentRepresentation>)write.Payload;
            RedisValue[] arguments;
            try
            {
                arguments = events.SelectMany(e => new RedisValue[] { e.SequenceNr, _serializer.ToBinary(e) }).ToArray();
            }
            catch (Exception e)
            {
                results.Add(e); // this write is rejected; the others go on
                continue;
            }

            results.Add(null);
            writes.Add(_store.Database.ScriptEvaluateAsync(WriteScript, [_store.Events(write.PersistenceId), _store.Highest(write.PersistenceId)], arguments));
        }

        // A Redis error (a refused sequence number, a lost connection) fails the whole batch.
        await Task.WhenAll(writes);
        return results.ToImmutableList();
    }

    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback)
    {
        var from = fromSequenceNr;
        var left = max;
        while (left > 0 && from <= toSequenceNr)
        {
            var take = (int)Math.Min(ReplayPage, left);
            var page = await _store.Database.SortedSetRangeByScoreWithScoresAsync(_store.Events(persistenceId), from, toSequenceNr, skip: 0, take: take);
            foreach (var entry in page)
            {
                recoveryCallback((IPersistentRepresentation)_serializer.FromBinary((byte[])entry.Element!, typeof(Persistent)));
            }

            if (page.Length < take)
            {
                return;
            }

            left -= page.Length;
            from = (long)page[^1].Score + 1;
        }
    }

    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        var highest = await _store.Database.StringGetAsync(_store.Highest(persistenceId));
        return highest.HasValue ? (long)highest : 0L;
    }

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        _store.Database.SortedSetRemoveRangeByScoreAsync(_store.Events(persistenceId), double.NegativeInfinity, toSequenceNr);
}
