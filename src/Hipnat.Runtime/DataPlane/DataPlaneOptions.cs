namespace Hipnat.Runtime.DataPlane;

/// <summary>Local policy of the data plane engine.</summary>
public sealed record DataPlaneOptions
{
    /// <summary>AES key size of ESP suite 13 (must match the core's <c>EspGcmKeyBits</c>).</summary>
    public int GcmKeyBits { get; init; } = 128;

    /// <summary>Install NULL-encryption SAs (suite 7, authentication only). Off: RFC 7402 §3.3.5 needs explicit local policy.</summary>
    public bool AllowNullEncryption { get; init; }

    /// <summary>
    /// The tunnel's inner MTU (hip0's). A longer packet from the local stack is not sent: it is answered with ICMPv6
    /// Packet Too Big (RFC 4443 §3.2) or ICMP Fragmentation Needed (RFC 1191) carrying this MTU. Null: no check.
    /// </summary>
    public int? Mtu { get; init; }

    /// <summary>Packets queued per peer while its base exchange runs.</summary>
    public int QueuePerPeer { get; init; } = 64;

    /// <summary>How long a queued packet may wait for the base exchange.</summary>
    public TimeSpan QueueLifetime { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>After a failed base exchange, packets to that peer are dropped at once for this long.</summary>
    public TimeSpan FailureHold { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A replaced SA pair keeps receiving for this long after a rekey, for packets still in flight.</summary>
    public TimeSpan RekeyGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// ESP with an unknown SPI is held this long in case the SA it belongs to is about to be installed (the peer
    /// finished a rekey or base exchange a moment before this host's driver thread did).
    /// </summary>
    public TimeSpan UnknownSpiHold { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Most ESP packets held for an unknown SPI at once.</summary>
    public int UnknownSpiHoldCapacity { get; init; } = 256;

    /// <summary>Packets an SA may carry before the daemon rekeys it (null: only before the sequence number would cycle, RFC 7402 §6.8).</summary>
    public ulong? SaPacketLimit { get; init; }

    /// <summary>Octets an SA may carry before the daemon rekeys it (null: no limit).</summary>
    public ulong? SaByteLimit { get; init; }

    /// <summary>How long an SA is used before the daemon rekeys it (null: no limit).</summary>
    public TimeSpan? SaLifetime { get; init; }

    /// <summary>Anti-replay window size of inbound SAs (RFC 6479).</summary>
    public int ReplayWindowSize { get; init; } = Hipnat.DataPlane.Esp.ReplayWindow.DefaultSize;

    /// <summary>
    /// Size of the table that remembers each TCP/UDP flow's inner family, as a power of two (4-24; 2^16 entries of
    /// 8 octets by default). A smaller table forgets flows sooner on collisions, nothing else.
    /// </summary>
    public int FlowTableBits { get; init; } = 16;

    /// <summary>
    /// Answers, for the first packet of a TCP or UDP flow the peer opened, whether only an IPv4 socket listens on the
    /// local port (protocol, port): deliver it as IPv4 between LSIs. Null: the kernel's socket tables
    /// (<see cref="ListeningSockets.PrefersIpv4"/>). Tests and the fuzzing harness set a fixed answer so that the
    /// outcome does not depend on the host's sockets.
    /// </summary>
    public Func<byte, ushort, bool>? PrefersIpv4 { get; init; }

    /// <summary>Clock for queue lifetimes and grace periods.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
