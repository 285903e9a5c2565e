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
    /// A direct pair was verified (an ICE check or a signed echo answered from it): unless it is the active pair it
    /// is a hot standby (draft-melen-hip-nat-mm §3.2.1), kept alive to take over when the active pair fails.
    /// Returns the pair, or null when <see cref="MaxStandbys"/> are kept already.
    /// </summary>
    public LocatorPair? NoteVerified(TransportAddress local, TransportAddress peer, TimeSpan rtt, TimeSpan now)
    {
        var pair = All.Find(p => p.Peer == peer && p.Local == local && !p.IsRelayed);
        if (pair is null)
        {
            if (All.Count(p => p.State == LocatorPairState.Standby) >= MaxStandbys)
            {
                return null;
            }

            pair = new LocatorPair(local, peer);
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

    /// <summary>Verified direct pairs ready to take over (hot backup).</summary>
    public IEnumerable<LocatorPair> Standbys => All.Where(p => p.State == LocatorPairState.Standby && !p.IsRelayed);

    /// <summary>
    /// The standby to fail over to when <paramref name="failed"/> stopped working: one heard within
    /// <paramref name="maxAge"/>; one that shares neither end with the failed pair first (its uplink or the peer's
    /// may be what failed), then one that shares one end, each by the lowest RTT.
    /// </summary>
    public LocatorPair? BestStandby(LocatorPair? failed, TimeSpan now, TimeSpan maxAge)
    {
        LocatorPair? best = null;
        int bestRank = int.MaxValue;
        foreach (var p in Standbys)
        {
            if (ReferenceEquals(p, failed) || now - p.LastReceived > maxAge)
            {
                continue;
            }

            int rank = failed is null ? 0 : (p.Local.Address.Equals(failed.Local.Address) ? 1 : 0) + (p.Peer == failed.Peer ? 1 : 0);
            if (rank < bestRank || (rank == bestRank && best is not null && Rtt(p) < Rtt(best)))
            {
                best = p;
                bestRank = rank;
            }
        }

        return best;

        static TimeSpan Rtt(LocatorPair p) => p.Rtt == TimeSpan.Zero ? TimeSpan.MaxValue : p.Rtt;
    }
}
