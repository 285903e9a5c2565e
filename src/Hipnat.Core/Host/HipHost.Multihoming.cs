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
                // A new selection (the first, or after a restart): check the other interfaces' paths on for a while.
                a.Multihoming.ProbedFor = ice.Selected;
                a.Multihoming.Tried.Clear();
                a.Multihoming.ProbeRoundsLeft = MultihomingProbeRounds;
                ArmMultihomingTimer(a, now);
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

    /// <summary>Rounds of checks on the unchecked paths of further interfaces after ICE concluded, and their spacing.</summary>
    private const int MultihomingProbeRounds = 12;

    private static readonly TimeSpan MultihomingProbeInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Checks per round (the ICE pacing of RFC 9028 §4.4 still spaces the checks of one round).</summary>
    private const int MultihomingProbesPerRound = 4;

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

        // ICE selected one pair and stopped checking (RFC 8445 §8.1.1); with a multihoming policy the pairs of our
        // other interfaces, and to peer candidates no pair reaches yet, are checked on for a few rounds so each
        // interface gets a verified path (behind address-dependent NAT filtering both ends must send first).
        if (a.Ice is not { Selected: not null } ice || a.State != AssociationState.Established || a.Multihoming.ProbeRoundsLeft <= 0)
        {
            return;
        }

        a.Multihoming.ProbeRoundsLeft--;
        var localsWorking = new HashSet<System.Net.IPAddress>();
        var remotesWorking = new HashSet<TransportAddress>();
        foreach (var p in ice.CheckList.Pairs)
        {
            if (p.State == CandidatePairState.Succeeded && !p.IsRelayed)
            {
                localsWorking.Add(p.Local.Base.Address);
                remotesWorking.Add(p.Remote.Address);
            }
        }

        int sent = 0;
        foreach (var p in ice.CheckList.Pairs.Where(p => !p.IsRelayed && p.State != CandidatePairState.Succeeded
            && !IsWildcardAddress(p.Local.Base.Address)).OrderByDescending(p => p.Priority))
        {
            if (localsWorking.Contains(p.Local.Base.Address) && remotesWorking.Contains(p.Remote.Address))
            {
                continue;
            }

            SendCheck(a, ice, p, nominate: false, fresh: true, now);
            if (++sent == MultihomingProbesPerRound)
            {
                break;
            }
        }

        if (sent > 0 && a.Multihoming.ProbeRoundsLeft > 0)
        {
            ArmMultihomingTimer(a, now);
        }
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
