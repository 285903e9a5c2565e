using System.Collections.Immutable;
using Hipnat.Wire;

namespace Hipnat.DataPlane.Esp;

/// <summary>
/// The SA database of the data plane: inbound SAs by SPI (RFC 4303 §3.4.2), outbound SAs by peer HIT (RFC 7402 §6.1
/// step 1), each in one hash lookup.
/// </summary>
/// <remarks>
/// <para>
/// An association, keyed by the peer HIT, may own several SA pairs (RFC 8047 simultaneous multihoming, or an old and
/// a new pair during a rekey); exactly one of them is active and carries outbound traffic. A newly installed pair
/// becomes active unless installed with <c>makeActive: false</c>; when the active pair is removed, the most
/// recently installed remaining pair takes over.
/// </para>
/// <para>
/// Concurrency: copy-on-write snapshots. Lookups (I/O threads) read one immutable snapshot through a volatile field
/// and take no lock; Install/Remove (the control thread, or several, serialised by a writer lock) copy the two
/// dictionaries, change the copy and publish it with one reference write. Writes therefore cost O(number of SAs),
/// which is fine for the rate of base exchanges and rekeys; reads cost one dictionary lookup. The database never
/// disposes SAs: removal hands the pairs back so the caller can dispose them once in-flight packets are done (an
/// I/O thread that still holds a disposed SA gets <see cref="EspDropReason.SaRemoved"/>, never a crash).
/// </para>
/// </remarks>
public sealed class SaDatabase
{
    private readonly Lock _writeLock = new();
    private volatile Snapshot _snapshot = new([], []);

    /// <summary>Number of associations (peers) with at least one SA pair.</summary>
    public int AssociationCount => _snapshot.Peers.Count;

    /// <summary>Number of installed SA pairs.</summary>
    public int PairCount => _snapshot.Inbound.Count;

    /// <summary>
    /// Installs an SA pair for <paramref name="peerHit"/>. Throws if the inbound SPI is already installed (inbound
    /// SPIs are ours and must be unique, RFC 7402 §3.3.4).
    /// </summary>
    public EspSaPair Install(Hit peerHit, EspSa outboundSa, EspSa inboundSa, IEnumerable<EspPath>? paths = null, bool makeActive = true)
    {
        ArgumentNullException.ThrowIfNull(outboundSa);
        ArgumentNullException.ThrowIfNull(inboundSa);
        if (outboundSa.Direction != EspSaDirection.Outbound || inboundSa.Direction != EspSaDirection.Inbound)
        {
            throw new ArgumentException("install an outbound and an inbound SA, in that order");
        }

        var pair = new EspSaPair(peerHit, outboundSa, inboundSa, paths?.ToImmutableArray() ?? []);
        lock (_writeLock)
        {
            var current = _snapshot;
            if (current.Inbound.ContainsKey(inboundSa.Spi))
            {
                throw new ArgumentException($"inbound SPI 0x{inboundSa.Spi:x8} is already installed", nameof(inboundSa));
            }

            var inbound = new Dictionary<uint, EspSaPair>(current.Inbound) { [inboundSa.Spi] = pair };
            var peers = new Dictionary<Hit, Association>(current.Peers);
            peers[peerHit] = peers.TryGetValue(peerHit, out var existing)
                ? new Association(existing.Pairs.Add(pair), makeActive ? pair : existing.Active)
                : new Association([pair], pair);
            _snapshot = new Snapshot(inbound, peers);
        }

        return pair;
    }

    /// <summary>Removes every SA pair of <paramref name="peerHit"/> and returns them (empty when there were none).</summary>
    public ImmutableArray<EspSaPair> Remove(Hit peerHit)
    {
        lock (_writeLock)
        {
            var current = _snapshot;
            if (!current.Peers.TryGetValue(peerHit, out var association))
            {
                return [];
            }

            var inbound = new Dictionary<uint, EspSaPair>(current.Inbound);
            foreach (var pair in association.Pairs)
            {
                inbound.Remove(pair.Inbound.Spi);
            }

            var peers = new Dictionary<Hit, Association>(current.Peers);
            peers.Remove(peerHit);
            _snapshot = new Snapshot(inbound, peers);
            return association.Pairs;
        }
    }

    /// <summary>Removes the SA pair whose inbound SPI is <paramref name="inboundSpi"/> (e.g. the old pair after a rekey).</summary>
    public bool RemovePair(uint inboundSpi, out EspSaPair? removed)
    {
        lock (_writeLock)
        {
            var current = _snapshot;
            if (!current.Inbound.TryGetValue(inboundSpi, out removed))
            {
                return false;
            }

            var inbound = new Dictionary<uint, EspSaPair>(current.Inbound);
            inbound.Remove(inboundSpi);
            var peers = new Dictionary<Hit, Association>(current.Peers);
            var association = peers[removed.PeerHit];
            var rest = association.Pairs.Remove(removed);
            if (rest.IsEmpty)
            {
                peers.Remove(removed.PeerHit);
            }
            else
            {
                peers[removed.PeerHit] = new Association(rest, ReferenceEquals(association.Active, removed) ? rest[^1] : association.Active);
            }

            _snapshot = new Snapshot(inbound, peers);
            return true;
        }
    }

    /// <summary>Makes the pair with <paramref name="inboundSpi"/> the active pair of its association.</summary>
    public bool SetActive(uint inboundSpi)
    {
        lock (_writeLock)
        {
            var current = _snapshot;
            if (!current.Inbound.TryGetValue(inboundSpi, out var pair))
            {
                return false;
            }

            var peers = new Dictionary<Hit, Association>(current.Peers);
            peers[pair.PeerHit] = peers[pair.PeerHit] with { Active = pair };
            _snapshot = new Snapshot(current.Inbound, peers);
            return true;
        }
    }

    /// <summary>Inbound lookup by SPI (RFC 4303 §3.4.2), with the pair so the caller learns the peer HIT.</summary>
    public bool TryGetInbound(uint spi, out EspSaPair pair) => _snapshot.Inbound.TryGetValue(spi, out pair!);

    /// <summary>Inbound SA by SPI.</summary>
    public bool TryGetInbound(uint spi, out EspSa sa)
    {
        if (_snapshot.Inbound.TryGetValue(spi, out var pair))
        {
            sa = pair.Inbound;
            return true;
        }

        sa = null!;
        return false;
    }

    /// <summary>Outbound SA of the active pair for <paramref name="peerHit"/>.</summary>
    public bool TryGetOutbound(Hit peerHit, out EspSa sa)
    {
        if (_snapshot.Peers.TryGetValue(peerHit, out var association))
        {
            sa = association.Active.Outbound;
            return true;
        }

        sa = null!;
        return false;
    }

    /// <summary>The active pair for <paramref name="peerHit"/>, with its active path.</summary>
    public bool TryGetActivePair(Hit peerHit, out EspSaPair pair)
    {
        if (_snapshot.Peers.TryGetValue(peerHit, out var association))
        {
            pair = association.Active;
            return true;
        }

        pair = null!;
        return false;
    }

    /// <summary>All SA pairs of <paramref name="peerHit"/> in installation order (empty when none).</summary>
    public ImmutableArray<EspSaPair> GetPairs(Hit peerHit) =>
        _snapshot.Peers.TryGetValue(peerHit, out var association) ? association.Pairs : [];

    /// <summary>Every installed pair (a snapshot), e.g. for rekey and idle-timeout sweeps.</summary>
    public ImmutableArray<EspSaPair> GetAllPairs() => [.. _snapshot.Inbound.Values];

    private sealed record Association(ImmutableArray<EspSaPair> Pairs, EspSaPair Active);

    private sealed class Snapshot(Dictionary<uint, EspSaPair> inbound, Dictionary<Hit, Association> peers)
    {
        public Dictionary<uint, EspSaPair> Inbound { get; } = inbound;

        public Dictionary<Hit, Association> Peers { get; } = peers;
    }
}
