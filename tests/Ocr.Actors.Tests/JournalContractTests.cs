using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.TestKit.Xunit2;
using Ocr.Actors.Jobs;
using Ocr.Actors.Persistence;
using Ocr.Actors.Serialization;
using Ocr.TestSupport;

namespace Ocr.Actors.Tests;

/// <summary>
/// The cases Akka's persistence TCK checks (the package is not served), against a journal and
/// snapshot store given by configuration: run on our Redis plugin and on the SQLite one we ship.
/// </summary>
public abstract class JournalContractTests(Config plugins) : TestKit(plugins.WithFallback(OcrSerializer.BindingConfig).WithFallback("akka.loglevel = WARNING"))
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _pid = "contract-" + Guid.NewGuid().ToString("N");
    private readonly string _writer = Guid.NewGuid().ToString();

    private IActorRef Journal => Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);

    private IActorRef Snapshots => Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);

    private static IJobEvent Event(long n) => new JobEvents.JobStarted(new JobId($"job-{n}"), T0.AddSeconds(n));

    private AtomicWrite Write(string pid, long from, long to) =>
        new(Enumerable.Range((int)from, (int)(to - from + 1))
            .Select(n => (IPersistentRepresentation)new Persistent(Event(n), n, pid, "", false, TestActor, _writer)).ToImmutableList());

    private void WriteEvents(long from, long to)
    {
        for (var n = from; n <= to; n++)
        {
            Journal.Tell(new WriteMessages([Write(_pid, n, n)], TestActor, 1));
            ExpectMsg<WriteMessagesSuccessful>();
            ExpectMsg<WriteMessageSuccess>();
        }
    }

    private List<long> Replay(long from, long to, long max, string? pid = null)
    {
        Journal.Tell(new ReplayMessages(from, to, max, pid ?? _pid, TestActor));
        var seen = new List<long>();
        while (true)
        {
            var message = ExpectMsg<object>(TimeSpan.FromSeconds(10));
            switch (message)
            {
                case ReplayedMessage replayed:
                    seen.Add(replayed.Persistent.SequenceNr);
                    break;
                case RecoverySuccess:
                    return seen;
                default:
                    throw new InvalidOperationException($"unexpected {message}");
            }
        }
    }

    [Fact]
    public void Replay_honours_bounds_and_counts()
    {
        WriteEvents(1, 5);

        Replay(1, long.MaxValue, long.MaxValue).ShouldBe([1, 2, 3, 4, 5]);
        Replay(3, long.MaxValue, long.MaxValue).ShouldBe([3, 4, 5]);
        Replay(1, 3, long.MaxValue).ShouldBe([1, 2, 3]);
        Replay(1, long.MaxValue, 3).ShouldBe([1, 2, 3]);
        Replay(2, 3, long.MaxValue).ShouldBe([2, 3]);
        Replay(2, 5, 2).ShouldBe([2, 3]);
        Replay(2, 2, long.MaxValue).ShouldBe([2]);
        Replay(2, 5, 1).ShouldBe([2]);
        Replay(1, 5, 0).ShouldBeEmpty();
        Replay(3, 2, long.MaxValue).ShouldBeEmpty();
    }

    [Fact]
    public void Replay_ends_with_the_highest_number_and_an_unknown_id_has_highest_zero()
    {
        WriteEvents(1, 3);

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, _pid, TestActor));
        ExpectMsg<ReplayedMessage>();
        ExpectMsg<ReplayedMessage>();
        var last = ExpectMsg<ReplayedMessage>().Persistent;
        ExpectMsg<RecoverySuccess>().HighestSequenceNr.ShouldBe(3);
        last.PersistenceId.ShouldBe(_pid);
        last.SequenceNr.ShouldBe(3);
        last.Payload.ShouldBe(Event(3));

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, "unknown-" + Guid.NewGuid(), TestActor));
        ExpectMsg<RecoverySuccess>().HighestSequenceNr.ShouldBe(0);
    }

    [Fact]
    public void Deletes_hide_events_and_keep_the_highest_number()
    {
        WriteEvents(1, 5);

        Journal.Tell(new DeleteMessagesTo(_pid, 3, TestActor));
        ExpectMsg<DeleteMessagesSuccess>();
        Replay(1, long.MaxValue, long.MaxValue).ShouldBe([4, 5]);

        Journal.Tell(new DeleteMessagesTo(_pid, long.MaxValue, TestActor));
        ExpectMsg<DeleteMessagesSuccess>();
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, _pid, TestActor));
        ExpectMsg<RecoverySuccess>().HighestSequenceNr.ShouldBe(5);
    }

    [Fact]
    public void A_batch_is_written_atomically_and_an_unserializable_event_is_rejected_alone()
    {
        var bad = new AtomicWrite(new Persistent(new Exploding(), 3, _pid, "", false, TestActor, _writer));

        Journal.Tell(new WriteMessages([Write(_pid, 1, 2), bad, Write(_pid, 3, 4)], TestActor, 1));

        ExpectMsg<WriteMessagesSuccessful>();
        ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr.ShouldBe(1);
        ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr.ShouldBe(2);
        ExpectMsg<WriteMessageRejected>().Persistent.SequenceNr.ShouldBe(3);
        ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr.ShouldBe(3);
        ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr.ShouldBe(4);
        Replay(1, long.MaxValue, long.MaxValue).ShouldBe([1, 2, 3, 4]);
    }

    [Fact]
    public void A_second_writer_of_a_sequence_number_already_written_fails_instead_of_interleaving()
    {
        WriteEvents(1, 3);

        var zombie = new AtomicWrite(new Persistent(Event(99), 2, _pid, "", false, TestActor, "zombie"));
        Journal.Tell(new WriteMessages([zombie], TestActor, 1));

        ExpectMsg<WriteMessagesFailed>();
        ExpectMsg<WriteMessageFailure>();
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, _pid, TestActor));
        for (var n = 1; n <= 3; n++)
        {
            ExpectMsg<ReplayedMessage>().Persistent.Payload.ShouldBe(Event(n)); // the first writer's events, none of the zombie's
        }

        ExpectMsg<RecoverySuccess>().HighestSequenceNr.ShouldBe(3);
    }

    private void Save(long sequenceNr, DateTime timestamp, object snapshot)
    {
        Snapshots.Tell(new SaveSnapshot(new SnapshotMetadata(_pid, sequenceNr, timestamp), snapshot), TestActor);
        ExpectMsg<SaveSnapshotSuccess>();
    }

    private SelectedSnapshot? Load(SnapshotSelectionCriteria criteria, string? pid = null)
    {
        Snapshots.Tell(new LoadSnapshot(pid ?? _pid, criteria, long.MaxValue), TestActor);
        return ExpectMsg<LoadSnapshotResult>().Snapshot;
    }

    private static DateTime At(int second) => new(2026, 1, 1, 0, 0, second, DateTimeKind.Utc);

    [Fact]
    public void Snapshots_are_selected_by_sequence_number_and_time()
    {
        for (var n = 1; n <= 3; n++)
        {
            Save(n, At(n * 10), new JobEvents.JobStarted(new JobId($"snap-{n}"), T0));
        }

        Load(SnapshotSelectionCriteria.Latest, "unknown-" + Guid.NewGuid()).ShouldBeNull();
        Load(SnapshotSelectionCriteria.Latest)!.Metadata.SequenceNr.ShouldBe(3);
        Load(new SnapshotSelectionCriteria(2))!.Metadata.SequenceNr.ShouldBe(2);
        Load(new SnapshotSelectionCriteria(long.MaxValue, At(25)))!.Metadata.SequenceNr.ShouldBe(2);
        Load(new SnapshotSelectionCriteria(3, At(15)))!.Metadata.SequenceNr.ShouldBe(1);
        Load(new SnapshotSelectionCriteria(long.MaxValue, At(5))).ShouldBeNull();
        Load(new SnapshotSelectionCriteria(0)).ShouldBeNull();
        var latest = Load(SnapshotSelectionCriteria.Latest)!;
        latest.Snapshot.ShouldBe(new JobEvents.JobStarted(new JobId("snap-3"), T0));
        latest.Metadata.Timestamp.ShouldBe(At(30));
    }

    [Fact]
    public void Saving_again_at_one_number_replaces_and_deletes_follow_metadata_and_criteria()
    {
        Save(1, At(10), "first");
        Save(2, At(20), "second");
        Save(2, At(21), "second, again");
        Save(3, At(30), new string('x', 10_000));

        Load(new SnapshotSelectionCriteria(2))!.Snapshot.ShouldBe("second, again");
        Load(SnapshotSelectionCriteria.Latest)!.Snapshot.ShouldBe(new string('x', 10_000));

        Snapshots.Tell(new DeleteSnapshot(new SnapshotMetadata(_pid, 3, DateTime.MinValue)), TestActor);
        ExpectMsg<DeleteSnapshotSuccess>();
        Load(SnapshotSelectionCriteria.Latest)!.Metadata.SequenceNr.ShouldBe(2);

        Snapshots.Tell(new DeleteSnapshots(_pid, new SnapshotSelectionCriteria(long.MaxValue, At(15))), TestActor);
        ExpectMsg<DeleteSnapshotsSuccess>();
        Load(new SnapshotSelectionCriteria(1)).ShouldBeNull();
        Load(SnapshotSelectionCriteria.Latest)!.Metadata.SequenceNr.ShouldBe(2);

        Snapshots.Tell(new DeleteSnapshots(_pid, new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue)), TestActor);
        ExpectMsg<DeleteSnapshotsSuccess>();
        Load(SnapshotSelectionCriteria.Latest).ShouldBeNull();
    }

    /// <summary>Serializing it throws: the journal must reject this write alone.</summary>
    public sealed record Exploding : IOcrProtocolMember
    {
        public string Boom => throw new InvalidOperationException("cannot be serialized");
    }
}

public sealed class RedisJournalContractTests(RedisJournalContractTests.Server server)
    : JournalContractTests(JournalSettings.RedisHocon(server.Redis.ConnectionString, 3, "contract")), IClassFixture<RedisJournalContractTests.Server>
{
    public sealed class Server : IAsyncLifetime
    {
        public RedisServer Redis { get; } = new();

        public Task InitializeAsync() => Redis.InitializeAsync();

        public Task DisposeAsync() => Redis.DisposeAsync();
    }
}

public sealed class SqliteJournalContractTests() : JournalContractTests(SqliteConfig())
{
    private static Config SqliteConfig()
    {
        var data = Path.Combine(Path.GetTempPath(), "akkaocr-contract-" + Guid.NewGuid().ToString("N"));
        JournalSettings.UseWriteAheadLog(data);
        return JournalSettings.SqliteHocon(JournalSettings.SqliteConnectionString(data));
    }
}
