using Akka.Actor;
using Akka.Persistence;
using static Ocr.Actors.Jobs.JobEvents;
using static Ocr.Actors.Jobs.JobReplies;

namespace Ocr.Actors.Jobs;

/// <summary>
/// Reads one result: replays the job's events up to <c>toSequenceNr</c> from the journal (the
/// journal protocol, so any journal plugin serves), keeps the last <see cref="PageCompleted"/> of
/// each page, answers the requester with the <see cref="Result"/> and stops. A child of the job's
/// entity, which carries on meanwhile; the state it was given is the job as of the request.
/// </summary>
public sealed class JobResultReader : ReceiveActor
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);

    private readonly Dictionary<int, StoredPage> _pages = [];

    public JobResultReader(JobState state, string persistenceId, long toSequenceNr, IActorRef journal, IActorRef requester)
    {
        Receive<ReplayedMessage>(replayed =>
        {
            if (replayed.Persistent.Payload is PageCompleted page)
            {
                _pages[page.Page.PageNumber] = page.Page;
            }
        });
        Receive<RecoverySuccess>(_ =>
        {
            requester.Tell(new Result(state.ToResultView(_pages)));
            Context.Stop(Self);
        });
        Receive<ReplayMessagesFailure>(failure =>
        {
            requester.Tell(new Failed(state.JobId!, $"the job's pages could not be read back: {failure.Cause.Message}"));
            Context.Stop(Self);
        });
        // A journal that never answers: the asker has long given up, the reader stops all the same.
        Receive<ReceiveTimeout>(_ => Context.Stop(Self));
        Context.SetReceiveTimeout(GiveUpAfter);
        journal.Tell(new ReplayMessages(1, toSequenceNr, long.MaxValue, persistenceId, Self));
    }

    public static Props Props(JobState state, string persistenceId, long toSequenceNr, IActorRef journal, IActorRef requester) =>
        Akka.Actor.Props.Create(() => new JobResultReader(state, persistenceId, toSequenceNr, journal, requester));
}
