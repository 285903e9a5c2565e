using System.Buffers;
using System.Numerics;

namespace Hipnat.Simulator;

/// <summary>
/// A single-threaded, unbounded pool of payload buffers in power-of-two sizes. Unlike the shared pool it keeps
/// every returned buffer, so a run with many packets in flight stops allocating once it reaches its peak.
/// </summary>
internal sealed class PayloadPool : ArrayPool<byte>
{
    private const int MinShift = 6; // 64 bytes
    private const int MaxShift = 16; // 65536 bytes
    private readonly Stack<byte[]>[] _buckets = new Stack<byte[]>[MaxShift - MinShift + 1];

    /// <summary>Buffers rented and not returned yet: the payloads in flight.</summary>
    public long Outstanding { get; private set; }

    /// <summary>Octets held in the buckets for reuse (the pool keeps its peak).</summary>
    public long RetainedBytes { get; private set; }

    public PayloadPool()
    {
        for (int i = 0; i < _buckets.Length; i++)
        {
            _buckets[i] = new Stack<byte[]>();
        }
    }

    public override byte[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        int shift = Math.Max(MinShift, minimumLength <= 1 ? 0 : 32 - BitOperations.LeadingZeroCount((uint)(minimumLength - 1)));
        Outstanding++;
        if (shift > MaxShift)
        {
            return new byte[minimumLength];
        }

        var bucket = _buckets[shift - MinShift];
        if (bucket.Count > 0)
        {
            RetainedBytes -= 1 << shift;
            return bucket.Pop();
        }

        return new byte[1 << shift];
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        Outstanding--;
        int length = array.Length;
        if (!BitOperations.IsPow2(length))
        {
            return;
        }

        int shift = BitOperations.Log2((uint)length);
        if (shift < MinShift || shift > MaxShift)
        {
            return;
        }

        if (clearArray)
        {
            Array.Clear(array);
        }

        _buckets[shift - MinShift].Push(array);
        RetainedBytes += length;
    }
}
