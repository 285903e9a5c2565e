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

    public bool IsProbing(TransportAddress peer) => _probes.Exists(p => p.Peer == peer);

    public PathProbe? For(TransportAddress peer) => _probes.Find(p => p.Peer == peer);

    public void Add(PathProbe probe)
    {
        _probes.Add(probe);
        NextDue = probe.NextAt < NextDue ? probe.NextAt : NextDue;
    }

    /// <summary>
    /// The probes to (re)send at <paramref name="now"/> go to <paramref name="send"/>, with their attempt counted
    /// and their next time set: the first three at their interval (the peer's own probe may open its NAT any
    /// moment), then doubling. Probes that used <paramref name="maxAttempts"/> are dropped into
    /// <paramref name="expired"/>.
    /// </summary>
    public void TakeDue(TimeSpan now, int maxAttempts, List<PathProbe> send, List<PathProbe> expired)
    {
        var due = TimeSpan.MaxValue;
        for (int i = _probes.Count - 1; i >= 0; i--)
        {
            var p = _probes[i];
            if (p.NextAt <= now)
            {
                if (p.Attempts >= maxAttempts)
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

    /// <summary>The probe that an answer from <paramref name="from"/> acknowledging <paramref name="ackedIds"/> with
    /// <paramref name="echo"/> verifies, if any (the nonce compared in constant time).</summary>
    public PathProbe? Answered(TransportAddress from, IReadOnlyCollection<uint> ackedIds, ReadOnlySpan<byte> echo)
    {
        foreach (var p in _probes)
        {
            if (p.Peer == from && ackedIds.Contains(p.UpdateId) && CryptographicOperations.FixedTimeEquals(echo, p.Nonce))
            {
                return p;
            }
        }

        return null;
    }

    public void RemoveWhere(Predicate<PathProbe> match) => _probes.RemoveAll(match);

    public void Clear()
    {
        _probes.Clear();
        NextDue = TimeSpan.MaxValue;
    }
}
