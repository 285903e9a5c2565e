using System.Buffers.Binary;
using Hipnat.Wire;

namespace Hipnat.Core.Host;

/// <summary>
/// A puzzle solution the responder has spent Diffie-Hellman work on: the Initiator's HIT (which, with the R1
/// generation, fixes #I) and #J folded to 128 bits. Only the holder of the I2 knows #J, so an off-path sender
/// cannot make an honest Initiator's solution look spent.
/// </summary>
internal readonly record struct SpentSolution(Hit Initiator, UInt128 J)
{
    public static SpentSolution Of(Hit initiator, ReadOnlySpan<byte> j)
    {
        Span<byte> folded = stackalloc byte[16];
        folded.Clear();
        for (int p = 0; p < j.Length; p++)
        {
            folded[p % 16] ^= j[p];
        }

        folded[15] ^= (byte)j.Length;
        return new SpentSolution(initiator, BinaryPrimitives.ReadUInt128BigEndian(folded));
    }
}
