using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit.Xunit2;
using Ocr.Actors.Jobs;
using Ocr.Actors.Persistence;
using Ocr.Actors.Serialization;
using Ocr.TestSupport;

namespace Ocr.Actors.Tests;

/// <summary>The Redis journal with its server killed: writes fail within the command timeout, and what was written before is kept.</summary>
public sealed class RedisJournalOutageTests(RedisJournalOutageTests.Server server)
    : TestKit(JournalSettings.RedisHocon(server.Redis.ConnectionString, 6, "outage").WithFallback(OcrSerializer.BindingConfig).WithFallback("akka.loglevel = ERROR")),
      IClassFixture<RedisJournalOutageTests.Server>
{
    private readonly string _pid = "outage-" + Guid.NewGuid().ToString("N");

    private IActorRef Journal => Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);

    private AtomicWrite Write(long n) => new(ImmutableList.Create<IPersistentRepresentation>(
        new Persistent(new JobEvents.JobStarted(new JobId("outage"), DateTimeOffset.UtcNow), n, _pid, "", false, TestActor, "writer")));

    [Fact]
    public async Task With_Redis_killed_a_write_fails_within_seconds_and_the_events_written_before_survive_its_restart()
    {
        Journal.Tell(new WriteMessages([Write(1)], TestActor, 1));
        // The first write also connects to Redis: on a busy 2-core machine that took over the default 3 s once.
        ExpectMsg<WriteMessagesSuccessful>(TimeSpan.FromSeconds(15));
        ExpectMsg<WriteMessageSuccess>();

        await server.Redis.KillAsync();
        var clock = Stopwatch.StartNew();
        Journal.Tell(new WriteMessages([Write(2)], TestActor, 1));
        ExpectMsg<WriteMessagesFailed>(TimeSpan.FromSeconds(15));
        ExpectMsg<WriteMessageFailure>();
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(15)); // the command timeout (5 s) or the breaker, never a hang

        await server.Redis.StartAsync();
        await AwaitAssertAsync(() =>
        {
            Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, _pid, TestActor));
            var first = ExpectMsg<object>(TimeSpan.FromSeconds(10));
            first.ShouldBeOfType<ReplayedMessage>().Persistent.SequenceNr.ShouldBe(1);
            ExpectMsg<RecoverySuccess>().HighestSequenceNr.ShouldBe(1);
        }, TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(2));
    }

    public sealed class Server : IAsyncLifetime
    {
        public RedisServer Redis { get; } = new(appendOnly: true);

        public Task InitializeAsync() => Redis.InitializeAsync();

        public Task DisposeAsync() => Redis.DisposeAsync();
    }
}
