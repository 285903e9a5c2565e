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
        if (shift > MaxShift)
        {
            return new byte[minimumLength];
        }

        var bucket = _buckets[shift - MinShift];
        return bucket.Count > 0 ? bucket.Pop() : new byte[1 << shift];
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
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
    }
}
