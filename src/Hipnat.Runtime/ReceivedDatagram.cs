using System.Buffers;
using Hipnat.Core.Transport;

namespace Hipnat.Runtime;

/// <summary>
/// One datagram a transport received, waiting for the driver thread. <see cref="Buffer"/> is rented from
/// <see cref="ArrayPool{T}.Shared"/>; whoever consumes the datagram calls <see cref="Release"/>.
/// For UDP the payload is the whole UDP payload; for raw HIP it is the HIP packet (IP header removed).
/// </summary>
public readonly record struct ReceivedDatagram(TransportAddress Local, TransportAddress Remote, byte[] Buffer, int Length)
{
    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(0, Length);

    /// <summary>Copies <paramref name="payload"/> into a pooled buffer.</summary>
    public static ReceivedDatagram Copy(TransportAddress local, TransportAddress remote, ReadOnlySpan<byte> payload)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(buffer);
        return new ReceivedDatagram(local, remote, buffer, payload.Length);
    }

    public void Release() => ArrayPool<byte>.Shared.Return(Buffer);
}
