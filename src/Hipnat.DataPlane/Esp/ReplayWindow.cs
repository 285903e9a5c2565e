using System.Numerics;
using System.Runtime.CompilerServices;

namespace Hipnat.DataPlane.Esp;

/// <summary>
/// Receiver anti-replay window of one inbound SA (RFC 4303 §3.4.3, Appendix A2) over 64-bit sequence numbers,
/// kept as a ring of 64-bit blocks that is never shifted (RFC 6479 §2): a sequence number's bit is
/// <c>blocks[(seq / 64) mod M] bit (seq mod 64)</c>, and sliding the window only zeroes the blocks it moves into.
/// </summary>
/// <remarks>
/// The window holds the <see cref="Size"/> sequence numbers <c>T - W + 1 .. T</c> where T is the highest
/// authenticated sequence number (RFC 4303 A2: B = T - W + 1); anything further left is <see cref="ReplayCheckResult.TooOld"/>.
/// The ring has M = a power of two blocks with 64·M ≥ W + 64, the redundant block of RFC 6479 §2 that lets the
/// window slide by whole blocks. <see cref="Check"/> is the preliminary check done before the ICV and changes
/// nothing; <see cref="Update"/> is called only after the ICV verified (RFC 4303 §3.4.3). Not thread-safe: the
/// owning <see cref="EspSa"/> serialises access.
/// </remarks>
public sealed class ReplayWindow
{
    /// <summary>Default window, sized for multi-core receivers that reorder (RFC 6479 §1).</summary>
    public const int DefaultSize = 1024;

    /// <summary>Smallest window accepted: the RFC 4303 §3.4.3 preferred default of 64.</summary>
    public const int MinimumSize = 64;

    /// <summary>Largest window: the ESN inference of RFC 4303 A2 assumes W ≤ 2^31; hipnat caps it far lower.</summary>
    public const int MaximumSize = 1 << 20;

    private const int BlockBits = 64;
    private const int BlockShift = 6;

    private readonly ulong[] _blocks;
    private readonly int _blockMask;
    private ulong _highest;

    public ReplayWindow(int size = DefaultSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinimumSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaximumSize);
        Size = size;
        int blocks = (int)BitOperations.RoundUpToPowerOf2((uint)((size + BlockBits - 1) / BlockBits) + 1);
        _blocks = new ulong[blocks];
        _blockMask = blocks - 1;
    }

    /// <summary>W: how many sequence numbers, ending at <see cref="Highest"/>, are remembered.</summary>
    public int Size { get; }

    /// <summary>T: the highest authenticated sequence number, 0 before the first packet.</summary>
    public ulong Highest => _highest;

    /// <summary>Preliminary check before the integrity check (RFC 4303 §3.4.3); does not change the window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReplayCheckResult Check(ulong sequenceNumber)
    {
        // RFC 4303 §3.3.3: the first packet carries 1; 0 is never sent on an SA with anti-replay.
        if (sequenceNumber == 0)
        {
            return ReplayCheckResult.TooOld;
        }

        if (sequenceNumber > _highest)
        {
            return ReplayCheckResult.Accepted;
        }

        if (_highest - sequenceNumber >= (ulong)Size)
        {
            return ReplayCheckResult.TooOld;
        }

        // RFC 6479 §2: the bit position depends only on the sequence number.
        ulong block = _blocks[(int)(sequenceNumber >> BlockShift) & _blockMask];
        return (block & (1UL << (int)(sequenceNumber & (BlockBits - 1)))) != 0
            ? ReplayCheckResult.Duplicate
            : ReplayCheckResult.Accepted;
    }

    /// <summary>
    /// Records an authenticated sequence number (RFC 4303 §3.4.3: only after the ICV verified), sliding the window
    /// when it is ahead. Returns false, changing nothing, when the number is a duplicate or too old.
    /// </summary>
    public bool Update(ulong sequenceNumber)
    {
        if (sequenceNumber == 0)
        {
            return false;
        }

        if (sequenceNumber > _highest)
        {
            // RFC 6479 §2: moving into new blocks zeroes them; no bit is shifted. A jump of a whole ring or more
            // clears every block.
            ulong currentBlock = _highest >> BlockShift;
            ulong newBlock = sequenceNumber >> BlockShift;
            ulong advance = Math.Min(newBlock - currentBlock, (ulong)_blocks.Length);
            for (ulong i = 1; i <= advance; i++)
            {
                _blocks[(int)((currentBlock + i) & (ulong)_blockMask)] = 0;
            }

            _highest = sequenceNumber;
        }
        else if (_highest - sequenceNumber >= (ulong)Size)
        {
            return false;
        }

        ref ulong slot = ref _blocks[(int)(sequenceNumber >> BlockShift) & _blockMask];
        ulong bit = 1UL << (int)(sequenceNumber & (BlockBits - 1));
        if ((slot & bit) != 0)
        {
            return false;
        }

        slot |= bit;
        return true;
    }

    /// <summary><see cref="Check"/> and, when accepted, <see cref="Update"/>, for callers that verified integrity already.</summary>
    public bool CheckAndUpdate(ulong sequenceNumber) =>
        Check(sequenceNumber) == ReplayCheckResult.Accepted && Update(sequenceNumber);

    /// <summary>
    /// Infers the full 64-bit sequence number of a packet from the 32 bits on the wire, by RFC 4303 Appendix A2.2:
    /// the high-order half (Seqh) is Th, Th + 1 or Th - 1 depending on where the low half falls relative to the
    /// window's lower edge Bl = Tl - W + 1. Seqh never goes below 0 (no subspace precedes the first).
    /// </summary>
    public ulong InferSequenceNumber(uint low)
    {
        uint tl = (uint)_highest;
        uint th = (uint)(_highest >> 32);
        uint w = (uint)Size;
        uint bl = unchecked(tl - w + 1);
        uint seqh;
        if (tl >= w - 1)
        {
            // Case A: the window lies within one subspace.
            seqh = low >= bl ? th : unchecked(th + 1);
        }
        else
        {
            // Case B: the window spans subspaces Th - 1 and Th.
            seqh = low >= bl && th > 0 ? th - 1 : th;
        }

        return ((ulong)seqh << 32) | low;
    }

    /// <summary>Forgets everything (a fresh SA).</summary>
    public void Reset()
    {
        Array.Clear(_blocks);
        _highest = 0;
    }
}
