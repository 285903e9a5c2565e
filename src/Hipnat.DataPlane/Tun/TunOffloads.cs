namespace Hipnat.DataPlane.Tun;

/// <summary>The TUNSETOFFLOAD flags (linux/if_tun.h): what the kernel may hand a TUN reader unfinished.</summary>
[Flags]
public enum TunOffloads : uint
{
    None = 0,

    /// <summary>TUN_F_CSUM: partial transport checksums (VIRTIO_NET_HDR_F_NEEDS_CSUM); required by all the others.</summary>
    Checksum = 0x01,

    /// <summary>TUN_F_TSO4: TCP over IPv4 super-segments.</summary>
    Tso4 = 0x02,

    /// <summary>TUN_F_TSO6: TCP over IPv6 super-segments.</summary>
    Tso6 = 0x04,

    /// <summary>TUN_F_TSO_ECN: TCP super-segments with CWR set.</summary>
    TsoEcn = 0x08,

    /// <summary>TUN_F_USO4: UDP over IPv4 super-datagrams (UDP_SEGMENT senders; Linux 6.2+).</summary>
    Uso4 = 0x20,

    /// <summary>TUN_F_USO6: UDP over IPv6 super-datagrams (Linux 6.2+).</summary>
    Uso6 = 0x40,
}
