using Hipnat.Core.Association;
using Hipnat.Core.Transport;

namespace Hipnat.Core.Paths;

/// <summary>
/// An association's locator pairs and which one is active (RFC 8046 §5.1 locator states; the draft's "exactly one
/// active pair at a time" in fault-tolerance mode) — the one owner of those transitions. Whatever makes a pair
/// active (the base exchange, an ICE selection, a return-routability answer, the fall back to the relay) goes
/// through <see cref="Activate"/>, which also says what becomes of the pair it replaces.
/// </summary>
public sealed class LocatorPairSet
{
    public List<LocatorPair> All { get; } = [];

    /// <summary>The pair that carries HIP control and ESP now.</summary>
    public LocatorPair? Active { get; private set; }

    /// <summary>
    /// Makes <paramref name="pair"/> (added if new) the active pair; the one it replaces becomes
    /// <paramref name="previousBecomes"/> (standby when it may still work, failed or deprecated when not). Returns
    /// the replaced pair (null if none, or if <paramref name="pair"/> was active already). A pair activated
    /// before return routability verified it (<paramref name="verified"/> false) carries data only within credit
    /// (RFC 8046 §5.6.1).
    /// </summary>
    public LocatorPair? Activate(LocatorPair pair, LocatorPairState previousBecomes = LocatorPairState.Standby, bool verified = true)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (!All.Contains(pair))
        {
            All.Add(pair);
        }

        var old = Active;
        pair.State = LocatorPairState.Active;
        pair.CreditLimited = !verified;
        Active = pair;
        if (old is null || ReferenceEquals(old, pair))
        {
            return null;
        }

        old.State = previousBecomes;
        return old;
    }

    /// <summary>The pair through the control relay the association can fall back to, if there is one.</summary>
    public LocatorPair? Relay => All.Find(p => p.IsRelayed && !p.ViaDataRelay && p.State != LocatorPairState.Deprecated);

    /// <summary>True when <paramref name="address"/> is a control relay of this association, not the peer.</summary>
    public bool IsRelayAddress(TransportAddress address) => All.Exists(p => p.IsRelayed && p.Peer == address);

    /// <summary>The direct pair from <paramref name="local"/> to <paramref name="peer"/>, else any direct pair to
    /// <paramref name="peer"/>, or a new one (not yet added).</summary>
    public LocatorPair DirectTo(TransportAddress peer, TransportAddress local) =>
        All.Find(p => p.Peer == peer && p.Local == local && !p.IsRelayed) ?? All.Find(p => p.Peer == peer && !p.IsRelayed) ?? new LocatorPair(local, peer);

    /// <summary>At most this many direct pairs are kept as standbys.</summary>
    public const int MaxStandbys = 16;

    /// <summary>
    /// A pair was verified (an ICE check or a signed echo answered on it): unless it is the active pair it is a hot
    /// standby (draft-melen-hip-nat-mm §3.2.1), kept alive to take over when the active pair fails. A pair through a
    /// data relay (<paramref name="viaDataRelay"/>: to the peer's relayed candidate, or from ours with RELAY_TO
    /// <paramref name="relayedTo"/>, RFC 9028 §4.12) is a standby too, behind every direct one. Returns the pair, or
    /// null when <see cref="MaxStandbys"/> are kept already.
    /// </summary>
    public LocatorPair? NoteVerified(TransportAddress local, TransportAddress peer, TimeSpan rtt, TimeSpan now, TransportAddress? relayedTo = null, bool viaDataRelay = false)
    {
        var pair = Find(local, peer, relayedTo, viaDataRelay);
        if (pair is null)
        {
            if (All.Count(p => p.State == LocatorPairState.Standby) >= MaxStandbys)
            {
                return null;
            }

            pair = new LocatorPair(local, peer) { RelayedTo = relayedTo, ViaDataRelay = viaDataRelay };
            All.Add(pair);
        }

        if (pair.State != LocatorPairState.Active)
        {
            pair.State = LocatorPairState.Standby;
        }

        pair.LastReceived = now;
        pair.VerifiedAt = now;
        if (rtt > TimeSpan.Zero)
        {
            pair.Rtt = pair.Rtt == TimeSpan.Zero ? rtt : ((pair.Rtt * 7) + rtt) / 8;
        }

        return pair;
    }

    /// <summary>The pair (<paramref name="local"/>, <paramref name="peer"/>) — through a data relay with
    /// <paramref name="relayedTo"/>, or direct — if the set has it. The control relay's pairs are never found.</summary>
    public LocatorPair? Find(TransportAddress local, TransportAddress peer, TransportAddress? relayedTo = null, bool viaDataRelay = false) =>
        All.Find(p => p.Peer == peer && p.Local == local && p.RelayedTo == relayedTo && (viaDataRelay ? p.ViaDataRelay : !p.IsRelayed));

    /// <summary>Verified pairs ready to take over (hot backup): direct ones and ones through a data relay, never the
    /// control relay (the fall-back, which carries no ESP).</summary>
    public IEnumerable<LocatorPair> Standbys => All.Where(p => p.State == LocatorPairState.Standby && (!p.IsRelayed || p.ViaDataRelay));

    /// <summary>
    /// The standby to fail over to when <paramref name="failed"/> stopped working: one heard within
    /// <paramref name="maxAge"/>; a direct one before one through a data relay; then one that shares neither end
    /// with the failed pair, then one from another local uplink to the same peer address, then one from the same
    /// uplink to another peer address; each by the lowest RTT.
    /// </summary>
    public LocatorPair? BestStandby(LocatorPair? failed, TimeSpan now, TimeSpan maxAge)
    {
        LocatorPair? best = null;
        int bestRank = int.MaxValue;
        foreach (var p in Standbys)
        {
            if (ReferenceEquals(p, failed) || now - p.LastReceived > maxAge || SameRoute(p, failed))
            {
                continue;
            }

            // A direct standby before one through a data relay (the relay's bandwidth is the operator's, and its
            // round trip longer); then one from another of our uplinks (ours is the end we see fail and can leave;
            // the peer's own failover covers its end), then one to another address of the peer.
            // Through a data relay, a pair to the peer's relayed address before one through our own (whose ESP the
            // relay sends where the peer's ESP last came from, a route the peer chooses), and the peer's end — the
            // relay — is no point of failure to avoid.
            int rank = (p.ViaDataRelay ? 10 + (p.RelayedTo is null ? 0 : 4) : 0)
                + (failed is null ? 0 : (p.Local.Address.Equals(failed.Local.Address) ? 2 : 0) + (!p.ViaDataRelay && PeerEnd(p) == PeerEnd(failed) ? 1 : 0));
            if (rank < bestRank || (rank == bestRank && best is not null && Rtt(p) < Rtt(best)))
            {
                best = p;
                bestRank = rank;
            }
        }

        return best;

        // The same packets on the wire as the failed pair (the control relay's pair and the data relay's with the same
        // RELAY_TO are one route): no way around what failed.
        static bool SameRoute(LocatorPair p, LocatorPair? f) =>
            f is not null && p.Local.Address.Equals(f.Local.Address) && p.Peer == f.Peer && p.RelayedTo == f.RelayedTo;

        // The peer's end of a pair: the address behind our data relay when the pair goes through it.
        static TransportAddress PeerEnd(LocatorPair p) => p.RelayedTo ?? p.Peer;

        static TimeSpan Rtt(LocatorPair p) => p.Rtt == TimeSpan.Zero ? TimeSpan.MaxValue : p.Rtt;
    }
}
