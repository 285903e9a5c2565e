namespace Hipnat.Runtime.Transports;

/// <summary>
/// Takes ESP datagrams (UDP payloads starting with a non-zero SPI, RFC 9028 §5.11) straight from a UDP receive
/// thread, past the driver thread: the data plane. Called concurrently by every receive thread.
/// </summary>
public interface IEspReceiver
{
    /// <summary>Processes one ESP datagram; false leaves it to the HIP core (e.g. a registrar relays it).</summary>
    bool TryReceive(ReadOnlySpan<byte> datagram);

    /// <summary>As <see cref="TryReceive(ReadOnlySpan{byte})"/>, with the addresses the UDP datagram came from and
    /// arrived at, so a peer's new source address (a NAT rebinding, draft-melen-hip-nat-mm §3.3) is noticed.</summary>
    bool TryReceive(ReadOnlySpan<byte> datagram, in Hipnat.Core.Transport.TransportAddress local, in Hipnat.Core.Transport.TransportAddress from) =>
        TryReceive(datagram);

    /// <summary>
    /// Receive threads: the datagrams passed until <see cref="EndBatch"/> came in one receive call (a UDP_GRO burst
    /// from one sender), so the receiver may hold decrypted packets back to coalesce them.
    /// </summary>
    void BeginBatch()
    {
    }

    /// <summary>Receive threads: the batch is over; everything held back is written now.</summary>
    void EndBatch()
    {
    }
}
