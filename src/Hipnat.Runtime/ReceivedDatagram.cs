using System.Buffers;
using Hipnat.Core.Transport;

namespace Hipnat.Runtime;

/// <summary>
/// One datagram a transport received, waiting for the driver thread. <see cref="Buffer"/> is rented from
/// <see cref="Pool"/>, a pool of its own (buffers are rented on receive threads and returned on the driver thread,
/// a pattern the shared pool's per-thread caches do not serve well); whoever consumes the datagram calls <see cref="Release"/>.
/// For UDP the payload is the whole UDP payload; for raw HIP it is the HIP packet (IP header removed).
/// </summary>
public readonly record struct ReceivedDatagram(TransportAddress Local, TransportAddress Remote, byte[] Buffer, int Length)
{
    /// <summary>Up to 256 buffers of each size class are kept for reuse, so a burst of large datagrams cannot pin much memory.</summary>
    internal static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 65536, maxArraysPerBucket: 256);

    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(0, Length);

    /// <summary>Copies <paramref name="payload"/> into a pooled buffer.</summary>
    public static ReceivedDatagram Copy(TransportAddress local, TransportAddress remote, ReadOnlySpan<byte> payload)
    {
        var buffer = Pool.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(buffer);
        return new ReceivedDatagram(local, remote, buffer, payload.Length);
    }

    public void Release() => Pool.Return(Buffer);
}
