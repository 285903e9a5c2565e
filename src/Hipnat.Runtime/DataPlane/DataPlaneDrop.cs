namespace Hipnat.Runtime.DataPlane;

/// <summary>Why the data plane dropped a packet. Each reason has its own counter (status "dataPlane.drops").</summary>
public enum DataPlaneDrop
{
    // Outbound: read from the TUN device.

    /// <summary>Not an IPv4/IPv6 packet to a HIT or LSI (e.g. multicast listener reports the kernel sends on the interface).</summary>
    NotHip,

    /// <summary>The source is not this host's HIT or LSI.</summary>
    BadSource,

    /// <summary>An IPv4 packet to an address of the LSI network no peer has.</summary>
    UnknownLsi,

    /// <summary>An IPv4 fragment that cannot be carried (a first fragment too short to hold its transport checksum).</summary>
    Fragment,

    /// <summary>No association and none can be started: no locator known for the HIT, or the base exchange failed.</summary>
    NoAssociation,

    /// <summary>The per-peer queue of packets waiting for a base exchange was full.</summary>
    QueueFull,

    /// <summary>A queued packet waited longer than the queue lifetime.</summary>
    QueueExpired,

    /// <summary>The association has no locator pair ESP can be sent on (no socket of its family).</summary>
    NoRoute,

    /// <summary>The outbound SA refused to seal (sequence number exhausted or SA removed).</summary>
    SealFailed,

    /// <summary>sendto(2) failed.</summary>
    SendFailed,

    // Inbound: ESP from the UDP socket.

    /// <summary>No inbound SA has the SPI (RFC 4303 §3.4.2).</summary>
    UnknownSpi,

    /// <summary>Too short or not a whole number of blocks.</summary>
    Malformed,

    /// <summary>Sequence number already received (RFC 4303 §3.4.3).</summary>
    Replayed,

    /// <summary>Sequence number left of the replay window.</summary>
    TooOld,

    /// <summary>ICV verification failed (RFC 4303 §3.4.4).</summary>
    IntegrityCheckFailed,

    /// <summary>Authentic but with bad padding.</summary>
    InvalidPadding,

    /// <summary>Dummy packet (Next Header 59), discarded by design.</summary>
    Dummy,

    /// <summary>The SA was removed while the packet was processed.</summary>
    SaRemoved,

    /// <summary>The decrypted packet could not be written to the TUN device.</summary>
    TunWriteFailed,

    /// <summary>Anything else (an internal error; logged).</summary>
    Internal,

    /// <summary>A packet from the local stack longer than the tunnel MTU; answered with ICMP "too big".</summary>
    TooBig,

    /// <summary>To an address of the peer not verified yet, beyond the credit its own traffic earned (RFC 8046 §5.6.1).</summary>
    NoCredit,

    /// <summary>A packet from a TUN device with offloads whose virtio_net_hdr does not fit it (GSO type, lengths, checksum offsets): not segmented, not sent.</summary>
    BadOffload,
}
