using System.Buffers.Binary;
using System.Text;
using Akka.Persistence;
using Akka.Persistence.Snapshot;
using StackExchange.Redis;

namespace Ocr.Actors.Persistence.Redis;

/// <summary>
/// Snapshot store on Redis. Per persistence id: a hash of snapshots by sequence number (saving at
/// a sequence number again replaces the one there) and a sorted set of those sequence numbers
/// for selection by range; each snapshot carries its timestamp for selection by time.
/// </summary>
public sealed class RedisSnapshotStore : SnapshotStore
{
    private const int Candidates = 100;

    private const string SaveScript = """
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('ZADD', KEYS[2], ARGV[1], ARGV[1])
        return 1
        """;

    private readonly RedisStore _store;

    private readonly Akka.Serialization.Serialization _serialization;

    public RedisSnapshotStore(Akka.Configuration.Config config)
    {
        _store = RedisStore.From(config);
        _serialization = Context.System.Serialization; // the actor context is gone after an await
    }

    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        var newest = (await CandidatesAsync(persistenceId, criteria, newestFirst: true)).FirstOrDefault();
        return newest.Payload is null ? null : new SelectedSnapshot(new SnapshotMetadata(persistenceId, newest.SequenceNr, newest.Timestamp), Deserialize(newest.Payload));
    }

    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken) =>
        _store.Database.ScriptEvaluateAsync(SaveScript, [_store.Snapshots(metadata.PersistenceId), _store.SnapshotIndex(metadata.PersistenceId)],
            [metadata.SequenceNr, Serialize(metadata.Timestamp, snapshot)]);

    protected override async Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken)
    {
        var stored = await _store.Database.HashGetAsync(_store.Snapshots(metadata.PersistenceId), metadata.SequenceNr);
        if (stored.IsNull)
        {
            return;
        }

        // A metadata timestamp names that snapshot: a newer one saved at the same number stays.
        if (metadata.Timestamp != DateTime.MinValue && TimestampOf(stored!) > metadata.Timestamp)
        {
            return;
        }

        await RemoveAsync(metadata.PersistenceId, [metadata.SequenceNr]);
    }

    protected override async Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        var doomed = (await CandidatesAsync(persistenceId, criteria, newestFirst: false, all: true)).Select(c => c.SequenceNr).ToList();
        await RemoveAsync(persistenceId, doomed);
    }

    private async Task<List<(long SequenceNr, DateTime Timestamp, byte[] Payload)>> CandidatesAsync(
        string persistenceId, SnapshotSelectionCriteria criteria, bool newestFirst, bool all = false)
    {
        var found = new List<(long, DateTime, byte[])>();
        var numbers = await _store.Database.SortedSetRangeByScoreAsync(_store.SnapshotIndex(persistenceId), criteria.MinSequenceNr, criteria.MaxSequenceNr,
            order: newestFirst ? Order.Descending : Order.Ascending, take: all ? -1 : Candidates);
        if (numbers.Length == 0)
        {
            return found;
        }

        var payloads = await _store.Database.HashGetAsync(_store.Snapshots(persistenceId), numbers);
        for (var i = 0; i < numbers.Length; i++)
        {
            if (payloads[i].IsNull)
            {
                continue;
            }

            var bytes = (byte[])payloads[i]!;
            var timestamp = TimestampOf(bytes);
            if (timestamp <= criteria.MaxTimeStamp && timestamp >= (criteria.MinTimestamp ?? DateTime.MinValue))
            {
                found.Add(((long)numbers[i], timestamp, bytes));
                if (!all && newestFirst)
                {
                    break;
                }
            }
        }

        return found;
    }

    private Task RemoveAsync(string persistenceId, IReadOnlyCollection<long> sequenceNrs)
    {
        if (sequenceNrs.Count == 0)
        {
            return Task.CompletedTask;
        }

        var members = sequenceNrs.Select(n => (RedisValue)n).ToArray();
        var transaction = _store.Database.CreateTransaction();
        _ = transaction.HashDeleteAsync(_store.Snapshots(persistenceId), members);
        _ = transaction.SortedSetRemoveAsync(_store.SnapshotIndex(persistenceId), members);
        return transaction.ExecuteAsync();
    }

    // Layout: timestamp ticks (8) | serializer id (4) | manifest length (4) | manifest (UTF-8) | payload.
    private byte[] Serialize(DateTime timestamp, object snapshot)
    {
        var serializer = _serialization.FindSerializerFor(snapshot);
        var manifest = Encoding.UTF8.GetBytes(Akka.Serialization.Serialization.ManifestFor(serializer, snapshot));
        var payload = serializer.ToBinary(snapshot);
        var bytes = new byte[16 + manifest.Length + payload.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, timestamp.Ticks);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), serializer.Identifier);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), manifest.Length);
        manifest.CopyTo(bytes, 16);
        payload.CopyTo(bytes, 16 + manifest.Length);
        return bytes;
    }

    private object Deserialize(byte[] bytes)
    {
        var serializerId = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        var manifestLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        var manifest = Encoding.UTF8.GetString(bytes, 16, manifestLength);
        return _serialization.Deserialize(bytes[(16 + manifestLength)..], serializerId, manifest);
    }

    private static DateTime TimestampOf(byte[] bytes) => new(BinaryPrimitives.ReadInt64LittleEndian(bytes), DateTimeKind.Utc);
}
