using System.Net;
using Hipnat.Wire;

namespace Hipnat.Runtime.Names;

/// <summary>
/// The daemon's answer to "is this name a HIP peer?" for the local DNS responder.
/// </summary>
/// <param name="Outcome">Peer, not a peer, or refused.</param>
/// <param name="Hit">The peer's HIT (for <see cref="PeerNameOutcome.Peer"/>).</param>
/// <param name="Lsi">The peer's LSI, or null when it has none (no data plane, the LSI network is full).</param>
/// <param name="Ttl">
/// For a peer: how long the answer may be cached (no longer than the records it came from). For a name that is no
/// peer: how long to remember that (the negative TTL of RFC 2308 §5; zero: not at all).
/// </param>
/// <param name="Reason">What was found, for logs: the source of the answer, or why it is no peer or was refused.</param>
public sealed record PeerNameAnswer(PeerNameOutcome Outcome, Hit Hit, IPAddress? Lsi, TimeSpan Ttl, string Reason)
{
    public static PeerNameAnswer Peer(Hit hit, IPAddress? lsi, TimeSpan ttl, string source) => new(PeerNameOutcome.Peer, hit, lsi, ttl, source);

    public static PeerNameAnswer NotPeer(TimeSpan ttl, string reason) => new(PeerNameOutcome.NotPeer, default, null, ttl, reason);

    public static PeerNameAnswer Refused(string reason) => new(PeerNameOutcome.Refused, default, null, TimeSpan.Zero, reason);
}
