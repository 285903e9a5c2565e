using System.Security.Cryptography;
using Hipnat.Core.Association;
using Hipnat.Core.Transport;

namespace Hipnat.Core.Paths;

/// <summary>
/// The return-routability probes of an association (RFC 8046 §5.4; RFC 9028 §4.8) — the one owner of which peer
/// addresses are being verified, when each probe is sent again, and which answer verifies which address: an ACK of
/// the probe's SEQ with its nonce in ECHO_RESPONSE_SIGNED, arriving from the probed address. The caller builds and
/// sends the packets and acts on a verified address.
/// </summary>
internal sealed class ReturnRoutability
{
    private readonly List<PathProbe> _probes = [];

    public IReadOnlyList<PathProbe> Probes => _probes;

    public int Count => _probes.Count;

    /// <summary>When <see cref="TakeDue"/> next has something to send (TimeSpan.MaxValue: nothing).</summary>
    public TimeSpan NextDue { get; private set; } = TimeSpan.MaxValue;

    /// <summary>Whether the address <paramref name="peer"/> is being verified (a <see cref="PathProbePurpose.Verify"/> probe).</summary>
    public bool IsProbing(TransportAddress peer) => For(peer) is not null;

    /// <summary>The verification probe of <paramref name="peer"/>, if one runs.</summary>
    public PathProbe? For(TransportAddress peer) => _probes.Find(p => p.Peer == peer && p.Purpose == PathProbePurpose.Verify);

    /// <summary>The probe of the pair (<paramref name="local"/>, <paramref name="peer"/>, through a data relay to
    /// <paramref name="relayedTo"/> if given) for <paramref name="purpose"/>, if one runs.</summary>
    public PathProbe? For(TransportAddress local, TransportAddress peer, PathProbePurpose purpose, TransportAddress? relayedTo = null) =>
        _probes.Find(p => p.Peer == peer && p.Local == local && p.Purpose == purpose && p.RelayedTo == relayedTo);

    public void Add(PathProbe probe)
    {
        _probes.Add(probe);
        NextDue = probe.NextAt < NextDue ? probe.NextAt : NextDue;
    }

    /// <summary>
    /// The probes to (re)send at <paramref name="now"/> go to <paramref name="send"/>, with their attempt counted
    /// and their next time set: the first three at their interval (the peer's own probe may open its NAT any
    /// moment), then doubling. Probes that used their <see cref="PathProbe.MaxAttempts"/> are dropped into
    /// <paramref name="expired"/>.
    /// </summary>
    public void TakeDue(TimeSpan now, List<PathProbe> send, List<PathProbe> expired)
    {
        var due = TimeSpan.MaxValue;
        for (int i = _probes.Count - 1; i >= 0; i--)
        {
            var p = _probes[i];
            if (p.NextAt <= now)
            {
                if (p.Attempts >= p.MaxAttempts)
                {
                    _probes.RemoveAt(i);
                    expired.Add(p);
                    continue;
                }

                send.Add(p);
                p.Attempts++;
                p.NextAt = now + p.Interval;
                if (p.Attempts >= 3)
                {
                    p.Interval *= 2;
                }
            }

            due = p.NextAt < due ? p.NextAt : due;
        }

        NextDue = due;
    }

    /// <summary>The probe that an answer from <paramref name="from"/> (relayed from <paramref name="relayedFrom"/>, if
    /// through our data relay) acknowledging <paramref name="ackedIds"/> with <paramref name="echo"/> verifies, if any
    /// (the nonce compared in constant time).</summary>
    public PathProbe? Answered(TransportAddress from, TransportAddress? relayedFrom, IReadOnlyCollection<uint> ackedIds, ReadOnlySpan<byte> echo)
    {
        foreach (var p in _probes)
        {
            if (p.Peer == from && (p.RelayedTo is null || p.RelayedTo == relayedFrom) && ackedIds.Contains(p.UpdateId)
                && CryptographicOperations.FixedTimeEquals(echo, p.Nonce))
            {
                return p;
            }
        }

        return null;
    }

    public void RemoveWhere(Predicate<PathProbe> match) => _probes.RemoveAll(match);

    /// <summary>A new path is active: verifications of other addresses end; liveness and standby probes go on.</summary>
    public void EndVerifications() => _probes.RemoveAll(p => p.Purpose == PathProbePurpose.Verify);

    public void Clear()
    {
        _probes.Clear();
        NextDue = TimeSpan.MaxValue;
    }
}
