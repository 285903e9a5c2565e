namespace Hipnat.Core.Transport;

/// <summary>
/// One datagram the core asks the I/O layer to send. <see cref="Buffer"/> is rented from
/// <see cref="PacketBuffers"/>; the I/O layer calls <see cref="Release"/> once it has been sent.
/// For UDP the payload already carries the RFC 9028 §5.1 framing; for raw HIP the HIP checksum is still zero
/// and the raw transport fills it in (it knows the exact source address the kernel picks).
/// </summary>
public readonly record struct Transmit(TransportAddress Local, TransportAddress Remote, byte[] Buffer, int Length)
{
    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(0, Length);

    public void Release() => PacketBuffers.Return(Buffer);
}
