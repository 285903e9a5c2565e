namespace Hipnat.Wire;

/// <summary>What a datagram on the HIP UDP port carries (RFC 9028 §5.1, RFC 5770 §5.1/§5.3, RFC 3948 §2).</summary>
public enum UdpPayloadKind
{
    /// <summary>Too short or otherwise matching none of the formats below.</summary>
    Invalid = 0,

    /// <summary>Four zero octets (the non-ESP marker) followed by a HIP packet.</summary>
    HipControl,

    /// <summary>An ESP packet, starting with its non-zero SPI.</summary>
    Esp,

    /// <summary>A STUN message (ICE-STUN-UDP connectivity checks and keepalives, RFC 5770 §5.2-§5.3).</summary>
    Stun,

    /// <summary>The one-octet 0xFF NAT-keepalive of RFC 3948 §2.3; receivers ignore it.</summary>
    NatKeepalive,
}
