using System.Buffers;

namespace Hipnat.Core.Transport;

/// <summary>
/// Where <see cref="Transmit"/> buffers come from (<see cref="ArrayPool{T}.Shared"/>), with a count of those rented
/// and not yet returned, process-wide: a soak run checks it comes back to where it started.
/// </summary>
public static class PacketBuffers
{
    private static long _outstanding;

    /// <summary>Buffers rented through <see cref="Rent"/> and not yet given back through <see cref="Return"/>.</summary>
    public static long Outstanding => Interlocked.Read(ref _outstanding);

    public static byte[] Rent(int minimumLength)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(minimumLength);
        Interlocked.Increment(ref _outstanding);
        return buffer;
    }

    public static void Return(byte[] buffer)
    {
        Interlocked.Decrement(ref _outstanding);
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
