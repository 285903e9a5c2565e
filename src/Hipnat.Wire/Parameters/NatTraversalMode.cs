namespace Hipnat.Wire.Parameters;

/// <summary>NAT traversal Mode IDs of NAT_TRAVERSAL_MODE (RFC 5770 §5.4, RFC 9028 §5.4 Table 1).</summary>
public enum NatTraversalMode : ushort
{
    Reserved = 0,
    UdpEncapsulation = 1,

    /// <summary>Legacy ICE with STUN connectivity checks (RFC 5770).</summary>
    IceStunUdp = 2,

    /// <summary>Native ICE with HIP connectivity checks (RFC 9028).</summary>
    IceHipUdp = 3,
}
