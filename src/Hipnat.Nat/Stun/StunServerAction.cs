namespace Hipnat.Nat.Stun;

/// <summary>What a <see cref="StunServer"/> did with a datagram.</summary>
public enum StunServerAction
{
    /// <summary>Not a STUN message (RFC 8489 §6.3: try another protocol).</summary>
    NotStun,

    /// <summary>STUN, silently discarded: a response, an unsupported method, a bad FINGERPRINT, a bad indication.</summary>
    Discarded,

    /// <summary>A request that was answered; the response is in the result.</summary>
    Responded,

    /// <summary>A valid indication (e.g. an RFC 5770 §5.3 keepalive); no response is sent (RFC 8489 §6.3.2).</summary>
    Indication,
}
