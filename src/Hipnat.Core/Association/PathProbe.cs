using Hipnat.Core.Transport;

namespace Hipnat.Core.Association;

/// <summary>
/// An outstanding return-routability probe of one candidate peer locator: an UPDATE with SEQ and
/// ECHO_REQUEST_SIGNED sent straight to <see cref="Peer"/>; the matching ACK and ECHO_RESPONSE_SIGNED arriving
/// from that address proves the path works in both directions (RFC 8046 §5.4; RFC 9028 §4.8).
/// </summary>
internal sealed class PathProbe
{
    public PathProbe(TransportAddress local, TransportAddress peer, uint updateId, byte[] nonce)
    {
        Local = local;
        Peer = peer;
        UpdateId = updateId;
        Nonce = nonce;
    }

    public TransportAddress Local { get; }

    public TransportAddress Peer { get; }

    public uint UpdateId { get; }

    public byte[] Nonce { get; }

    public byte[]? Packet { get; set; }

    public int Attempts { get; set; }

    public TimeSpan Interval { get; set; }

    public TimeSpan NextAt { get; set; }

    public TimeSpan FirstSent { get; set; }

    /// <summary>An authenticated packet of the peer came straight from <see cref="Peer"/> (not just an offered
    /// locator): the address may carry data within credit while this probe verifies it (RFC 8046 §5.6).</summary>
    public bool HeardFrom { get; set; }

    public PathProbePurpose Purpose { get; init; }

    /// <summary>The probed pair goes through a data relay (RFC 9028 §4.12): to the peer's relayed candidate, or
    /// through ours to <see cref="RelayedTo"/>.</summary>
    public bool ViaDataRelay { get; init; }

    /// <summary>A liveness probe of the active pair the peer's PATH_UNHEARD asked for: unanswered, the pair failed
    /// whatever else arrives.</summary>
    public bool PeerHearsNothing { get; init; }

    /// <summary>Through our data relay: the peer's address the relay forwards the probe to (RELAY_TO, RFC 9028
    /// §5.9); the answer comes back through the relay from it (RELAY_FROM).</summary>
    public TransportAddress? RelayedTo { get; init; }

    /// <summary>Sends before the probe is given up.</summary>
    public int MaxAttempts { get; init; } = 8;
}
