namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// Which inner family (IPv4 between LSIs or IPv6 between HITs) a transport flow with a peer uses on this host.
/// ESP in BEET mode does not carry the inner family (RFC 7402 Appendix B): the receiver must choose. ICMP and
/// ICMPv6 name their family; for TCP and UDP the receiver uses what the local application last sent on the same
/// flow (peer, protocol, ports), which this table remembers.
/// </summary>
/// <remarks>
/// A lossy, lock-free cache: a power-of-two array of packed 64-bit entries written with one atomic store, so the TUN
/// reader and the UDP receive threads share it without locks or allocation. A collision overwrites the older flow,
/// which then falls back to the default choice; nothing is ever wrong for longer than one packet of the local side.
/// Entry layout: bit 63 valid, bit 62 IPv4, bits 40-61 peer id (22 bits), 32-39 protocol, 16-31 local port, 0-15
/// remote port.
/// </remarks>
public sealed class FlowFamilyTable
{
    private const ulong Valid = 1UL << 63;
    private const ulong Ipv4Bit = 1UL << 62;
    private const ulong KeyMask = (1UL << 62) - 1;

    private readonly long[] _entries;
    private readonly int _mask;

    public FlowFamilyTable(int sizeLog2 = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeLog2, 4);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sizeLog2, 24);
        _entries = new long[1 << sizeLog2];
        _mask = (1 << sizeLog2) - 1;
    }

    /// <summary>Records the family the local side used (called for every outbound TCP/UDP packet; writes only on change).</summary>
    public void Record(int peerId, byte protocol, ushort localPort, ushort remotePort, bool ipv4)
    {
        ulong key = Key(peerId, protocol, localPort, remotePort);
        ref long slot = ref _entries[Index(key)];
        ulong wanted = Valid | key | (ipv4 ? Ipv4Bit : 0);
        if ((ulong)Volatile.Read(ref slot) != wanted)
        {
            Volatile.Write(ref slot, (long)wanted);
        }
    }

    /// <summary>The recorded family of a flow: true with <paramref name="ipv4"/> when known.</summary>
    public bool TryGet(int peerId, byte protocol, ushort localPort, ushort remotePort, out bool ipv4)
    {
        ulong key = Key(peerId, protocol, localPort, remotePort);
        ulong entry = (ulong)Volatile.Read(ref _entries[Index(key)]);
        if ((entry & Valid) != 0 && (entry & KeyMask) == key)
        {
            ipv4 = (entry & Ipv4Bit) != 0;
            return true;
        }

        ipv4 = false;
        return false;
    }

    private static ulong Key(int peerId, byte protocol, ushort localPort, ushort remotePort) =>
        ((ulong)(peerId & 0x3FFFFF) << 40) | ((ulong)protocol << 32) | ((ulong)localPort << 16) | remotePort;

    private int Index(ulong key)
    {
        // Fibonacci hashing spreads the packed fields over the table.
        ulong h = key * 0x9E3779B97F4A7C15UL;
        return (int)(h >> 40) & _mask;
    }
}
