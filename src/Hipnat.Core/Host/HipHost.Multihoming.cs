using Hipnat.Core.Association;
using Hipnat.Core.Ice;
using Hipnat.Core.Transport;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>
/// Simultaneous multihoming (RFC 8047 §4.2.2, §4.2.4; draft-melen-hip-nat-mm §3.2.1, §4): with a policy other than
/// failover, an established association gets one SA pair per further local interface from which ICE verified a
/// path to the peer. Each is opened by an UPDATE on that interface's path with ESP_INFO (Old SPI 0, New SPI) and the
/// interface's LOCATOR_SET; the peer answers with its own ESP_INFO Old SPI 0, and both bind the new pair to the
/// locator pair the UPDATE travelled on. The primary pair (from the base exchange) follows the active pair.
/// </summary>
public sealed partial class HipHost
{
    /// <summary>The multihoming policy this host runs with.</summary>
    public MultihomingPolicy MultihomingPolicy => _options.MultihomingPolicy;

    /// <summary>
    /// Opens the SA pair of the next further interface with a verified path, if the policy asks for it and no UPDATE
    /// is outstanding (one SEQ at a time, RFC 7401 §6.11; the next one follows the acknowledgement).
    /// </summary>
    internal void CheckMultihoming(HostAssociation a, TimeSpan now)
    {
        if (_options.MultihomingPolicy == MultihomingPolicy.Failover || a.State != AssociationState.Established)
        {
            return;
        }

        if (a.Ice is { } ice)
        {
            if (ice.Selected is null)
            {
                // ICE is still choosing the primary path: come back once it has (the primary pair covers its interface).
                ArmMultihomingTimer(a, now);
                return;
            }

            if (!ReferenceEquals(a.Multihoming.ProbedFor, ice.Selected))
            {
                // A new selection (the first, or after a restart): every further interface may ask again. ICE checks
                // the other interfaces' paths on (IceAgent.Backups) and reports each that works (PairWorks).
                a.Multihoming.ProbedFor = ice.Selected;
                a.Multihoming.Tried.Clear();
            }
        }

        if (a.PendingUpdateId is not null || a.EspSuite == 0 || a.SaPairs.Count == 0 || a.ActivePair is not { IsRelayed: false } active)
        {
            return;
        }

        foreach (var (local, peer) in VerifiedPathsByInterface(a))
        {
            // The primary pair covers the active pair's interface; one SA pair per further interface (draft §4).
            if (local.Address.Equals(active.Local.Address) || a.SaPairs.Exists(s => s.BoundLocal?.Address.Equals(local.Address) == true)
                || !a.Multihoming.Tried.Add(local.Address))
            {
                continue;
            }

            if (StartUpdate(a.PeerHit, now, UpdateKind.NewSa, null, (local, peer)))
            {
                Counters.MultihomingUpdatesSent++;
                DebugLog?.Invoke($"multihoming with {a.PeerHit}: UPDATE ESP_INFO Old SPI 0 for the interface {local.Address} on {local} <-> {peer}");
            }

            return;
        }
    }

    /// <summary>How soon to look again while ICE has not selected the primary path yet.</summary>
    private static readonly TimeSpan MultihomingProbeInterval = TimeSpan.FromMilliseconds(250);

    private void ArmMultihomingTimer(HostAssociation a, TimeSpan now)
    {
        if (a.Multihoming.ProbeDue == TimeSpan.MaxValue)
        {
            a.Multihoming.ProbeDue = now + MultihomingProbeInterval;
            ScheduleTimer(a);
        }
    }

    private void OnMultihomingTimer(HostAssociation a, TimeSpan now)
    {
        a.Multihoming.ProbeDue = TimeSpan.MaxValue;
        CheckMultihoming(a, now);
    }

    /// <summary>
    /// The best verified direct path from each local address (interface), as ICE checked them (RFC 9028 §4.6.2), without
    /// those the locator pair set knows as failed or withdrawn.
    /// </summary>
    private static List<(TransportAddress Local, TransportAddress Peer)> VerifiedPathsByInterface(HostAssociation a)
    {
        var best = new List<CandidatePair>();
        if (a.Ice is not { } ice)
        {
            return [];
        }

        foreach (var p in ice.CheckList.Pairs)
        {
            if (p.State != CandidatePairState.Succeeded || p.IsRelayed || IsWildcardAddress(p.Local.Base.Address)
                || IsPathDown(a, p.Local.Base, p.Remote.Address))
            {
                continue;
            }

            int i = best.FindIndex(b => b.Local.Base.Address.Equals(p.Local.Base.Address));
            if (i < 0)
            {
                best.Add(p);
            }
            else if (p.Priority > best[i].Priority)
            {
                best[i] = p;
            }
        }

        return best.ConvertAll(p => (p.Local.Base, p.Remote.Address));
    }

    /// <summary>The locator pair set (<see cref="HostAssociation.Paths"/>) holds this pair as failed or deprecated.</summary>
    private static bool IsPathDown(HostAssociation a, TransportAddress local, TransportAddress peer) =>
        a.Paths.All.Exists(p => p.Local == local && p.Peer == peer && !p.IsRelayed && p.State is LocatorPairState.Failed or LocatorPairState.Deprecated);

    /// <summary>(local, remote) is the locator pair of one of the association's bound SA pairs.</summary>
    private static bool IsBoundPath(HostAssociation a, TransportAddress local, TransportAddress remote) =>
        a.SaPairs.Exists(s => s.BoundPeer == remote && s.BoundLocal?.Address.Equals(local.Address) == true);

    /// <summary>
    /// The state of a bound SA pair's path for the data plane: the locator pair set's state when it holds that pair
    /// (Active, Standby, Failed...), else Standby while ICE still counts it as working, else Failed. Null for the
    /// primary pair, which follows the active pair.
    /// </summary>
    private static LocatorPairState? BoundPathState(HostAssociation a, EspSaPair sa)
    {
        if (sa.BoundLocal is not { } local || sa.BoundPeer is not { } peer)
        {
            return null;
        }

        if (a.Paths.All.Find(p => p.Local == local && p.Peer == peer && !p.IsRelayed) is { } known)
        {
            return known.State;
        }

        if (a.Ice is not { } ice)
        {
            return LocatorPairState.Standby; // verified by the UPDATE exchange over it; no checklist says otherwise
        }

        var pair = ice.CheckList.Find(local, peer);
        return pair is null || pair.State == CandidatePairState.Succeeded ? LocatorPairState.Standby : LocatorPairState.Failed;
    }

    /// <summary>
    /// The LOCATOR_SET of one interface (RFC 8047 §4.2.4; draft §4: one SPI per interface): its ICE candidates (host
    /// and server-reflexive, based on <paramref name="local"/>) with the new SA's SPI, or just the address.
    /// </summary>
    private LocatorSetParameter InterfaceLocatorSet(HostAssociation a, TransportAddress local, uint spi)
    {
        var list = new List<Locator>();
        if (a.Ice is { } ice)
        {
            foreach (var c in ice.CheckList.LocalCandidates)
            {
                if (c.Type != CandidateKind.Relayed && c.Base.Address.Equals(local.Address))
                {
                    list.Add(Locator.ForTransportAddress(c.Address.Address, c.Address.Port, c.Type, c.Priority, spi, LocatorLifetime, preferred: list.Count == 0));
                }
            }
        }

        if (list.Count == 0)
        {
            list.Add(Locator.ForTransportAddress(local.Address, local.Port, CandidateKind.Host, priority: 0, spi, LocatorLifetime, preferred: true));
        }

        return new LocatorSetParameter(list.ToArray());
    }
}
