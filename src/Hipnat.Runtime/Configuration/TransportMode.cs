namespace Hipnat.Runtime.Configuration;

/// <summary>How the daemon carries HIP control packets.</summary>
public enum TransportMode
{
    /// <summary>UDP with RFC 9028 framing (the default; no privileges needed, crosses NATs).</summary>
    Udp,

    /// <summary>HIP directly over IP protocol 139 (needs root or CAP_NET_RAW).</summary>
    Raw,
}
