using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Ocr.Actors.Jobs;
using Ocr.Actors.Persistence;
using Ocr.Actors.Serialization;
using Ocr.Pipeline.Streams;
using Ocr.TestSupport;

/// <summary>
/// Journal throughput, Redis against SQLite, in one run: events/s persisted one at a time (each
/// awaited, as a job persists its pages), in batches of 100 (PersistAll), by 20 actors at once,
/// and replayed. The events are real PageCompleted events with a page of text (~2.5 kB). Redis
/// runs twice: append-only file with fsync always, and with fsync every second.
/// usage: dotnet run -c Release --project benchmarks/Ocr.Benchmarks -- journal [--events 2000] [--out journal-throughput.json]
/// </summary>
internal static class JournalBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var events = int.Parse(CommandLine.Value(args, "events", "2000"));
        var output = CommandLine.Value(args, "out", Path.Combine(Repository.Root, "benchmarks", "results", "journal-throughput.json"));
        var results = new List<object>();
        foreach (var fsync in new[] { "always", "everysec" })
        {
            await using var redis = new RedisServer(appendOnly: true, appendFsync: fsync);
            await redis.InitializeAsync();
            results.Add(await MeasureAsync($"redis (appendonly, appendfsync {fsync})", JournalSettings.RedisHocon(redis.ConnectionString, 0, "bench"), events));
        }

        var data = Path.Combine(Path.GetTempPath(), "akkaocr-journal-bench-" + Guid.NewGuid().ToString("N"));
        JournalSettings.UseWriteAheadLog(data);
        results.Add(await MeasureAsync("sqlite (WAL, as the embedded mode)", JournalSettings.SqliteHocon(JournalSettings.SqliteConnectionString(data)), events));
        Directory.Delete(data, recursive: true);

        var report = new { events_per_run = events, event_bytes = EventBytes(), machine = Environment.ProcessorCount + " cores", results };
        var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
        Console.WriteLine(json);
        await File.WriteAllTextAsync(output, json);
    }

    private static async Task<object> MeasureAsync(string store, Config plugin, int events)
    {
        var config = plugin.WithFallback(OcrSerializer.BindingConfig).WithFallback("akka.loglevel = WARNING");
        using var system = ActorSystem.Create("journal-bench", config);
        var single = await TimeAsync(system, "single", events, batch: 1, actors: 1);
        var batched = await TimeAsync(system, "batched", events, batch: 100, actors: 1);
        var parallel = await TimeAsync(system, "parallel", events, batch: 1, actors: 20);
        var replay = await ReplayAsync(system, events);
        var row = new
        {
            store,
            single_events_per_s = Math.Round(events / single.TotalSeconds),
            batched_events_per_s = Math.Round(events / batched.TotalSeconds),
            twenty_actors_events_per_s = Math.Round(events / parallel.TotalSeconds),
            replay_events_per_s = Math.Round(events / replay.TotalSeconds),
        };
        Console.Error.WriteLine(JsonSerializer.Serialize(row));
        await system.Terminate();
        return row;
    }

    private static async Task<TimeSpan> TimeAsync(ActorSystem system, string name, int events, int batch, int actors)
    {
        var perActor = events / actors;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, actors).Select(i =>
            system.ActorOf(Props.Create(() => new Writer($"{name}-{i}-{Guid.NewGuid():N}", perActor, batch)))
                .Ask<Akka.Done>(Start.Instance, TimeSpan.FromMinutes(10))));
        return clock.Elapsed;
    }

    /// <summary>Replays the batched writer's events (the one long history of the run).</summary>
    private static async Task<TimeSpan> ReplayAsync(ActorSystem system, int events)
    {
        var clock = Stopwatch.StartNew();
        var replayed = await system.ActorOf(Props.Create(() => new Reader(Writer.LastId!))).Ask<int>(Start.Instance, TimeSpan.FromMinutes(10));
        if (replayed != events)
        {
            throw new InvalidOperationException($"replayed {replayed} events, wrote {events}");
        }

        return clock.Elapsed;
    }

    /// <summary>A letter page as the journal now keeps it: its text and 50 lines of 8 words with their boxes.</summary>
    private static JobEvents.PageCompleted Event(int n) => new(new JobId("bench"),
        new StoredPage(n, string.Concat(Enumerable.Repeat("Patient letter text, line of a scanned page. ", 50)), 0.93, "ocr", 2480, 3508, 1.2, 0, 0.3, "tesseract",
            Dpi: 300, Blocks: [new StoredBlock(Enumerable.Range(0, 50).Select(line => new StoredLine(
                "Patient letter text, line of a scanned page.", 0.93, [200, 300 + (line * 60), 2200, 340 + (line * 60)],
                Enumerable.Range(0, 8).Select(word => new StoredWord("letter", 0.9, [200 + (word * 250), 300 + (line * 60), 400 + (word * 250), 340 + (line * 60)])).ToList())).ToList())]),
        DateTimeOffset.UtcNow);

    private static int EventBytes() => JsonSerializer.SerializeToUtf8Bytes(Event(1)).Length;

    private sealed class Start
    {
        public static readonly Start Instance = new();
    }

    private sealed class Writer : ReceivePersistentActor
    {
        /// <summary>The id of the last batched writer, whose history the replay reads.</summary>
        public static string? LastId;
        private IActorRef? _replyTo;
        private int _written;

        public Writer(string id, int events, int batch)
        {
            PersistenceId = id;
            if (batch > 1)
            {
                LastId = id;
            }

            Command<Start>(_ =>
            {
                _replyTo = Sender;
                Next(events, batch);
            });
        }

        public override string PersistenceId { get; }

        private void Next(int events, int batch)
        {
            if (_written >= events)
            {
                _replyTo!.Tell(Akka.Done.Instance);
                return;
            }

            var take = Math.Min(batch, events - _written);
            var chunk = Enumerable.Range(_written + 1, take).Select(Event).ToList();
            var last = chunk[^1];
            PersistAll(chunk, e =>
            {
                _written++;
                if (ReferenceEquals(e, last))
                {
                    Next(events, batch);
                }
            });
        }
    }

    private sealed class Reader : ReceivePersistentActor
    {
        private int _count;
        private IActorRef? _replyTo;
        private bool _recovered;

        public Reader(string id)
        {
            PersistenceId = id;
            Recover<JobEvents.PageCompleted>(_ => _count++);
            Recover<RecoveryCompleted>(_ =>
            {
                _recovered = true;
                _replyTo?.Tell(_count);
            });
            Command<Start>(_ =>
            {
                _replyTo = Sender;
                if (_recovered)
                {
                    Sender.Tell(_count);
                }
            });
        }

        public override string PersistenceId { get; }
    }
}
