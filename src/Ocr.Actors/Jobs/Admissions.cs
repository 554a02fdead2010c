using Akka.Actor;
using Akka.Cluster;

namespace Ocr.Actors.Jobs;

/// <summary>Every node's <see cref="NodeAdmission"/>: this node's by reference, the others' by their path on each member that is up.</summary>
internal static class Admissions
{
    public static void Tell(ActorSystem system, IActorRef local, object message, IActorRef sender, IActorRef? except)
    {
        if (!local.Equals(except))
        {
            local.Tell(message, sender);
        }

        var cluster = Cluster.Get(system);
        var skip = except?.Path.Address;
        foreach (var member in cluster.State.Members)
        {
            if (member.Status != MemberStatus.Up || member.Address.Equals(cluster.SelfAddress) || member.Address.Equals(skip))
            {
                continue;
            }

            system.ActorSelection(NodeAdmission.PathOn(member.Address)).Tell(message, sender);
        }
    }
}
