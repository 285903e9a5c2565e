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

    /// <summary>The direct pair to <paramref name="peer"/>, or a new one from <paramref name="local"/> (not yet added).</summary>
    public LocatorPair DirectTo(TransportAddress peer, TransportAddress local) =>
        All.Find(p => p.Peer == peer && !p.IsRelayed) ?? new LocatorPair(local, peer);
}
