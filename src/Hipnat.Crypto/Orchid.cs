using System.Buffers;
using System.Buffers.Binary;
using Hipnat.Wire;

namespace Hipnat.Crypto;

/// <summary>
/// ORCHIDv2 generation of HITs (RFC 7343 §2, RFC 7401 §3.2):
/// HIT := Prefix(28) | OGA ID(4) | Encode_96(Hash(Context ID | Input)),
/// where Input is the Host Identity field of HOST_ID (without the algorithm number), the OGA ID is the HIT
/// suite of the algorithm and Hash is that suite's RHASH.
/// </summary>
public static class Orchid
{
    /// <summary>The HIP context ID 0xF0EF F02F BFF4 3D0F E793 0C3C 6E61 74EA (RFC 7401 §3.2).</summary>
    public static ReadOnlySpan<byte> HipContextId =>
    [
        0xF0, 0xEF, 0xF0, 0x2F, 0xBF, 0xF4, 0x3D, 0x0F,
        0xE7, 0x93, 0x0C, 0x3C, 0x6E, 0x61, 0x74, 0xEA,
    ];

    /// <summary>The 28-bit ORCHIDv2 prefix 2001:20::/28 (RFC 7343 §2, §6) as the top bits of a 32-bit word.</summary>
    private const uint PrefixWord = 0x2001_0020;

    private const int StackLimit = 1024;

    /// <summary>
    /// Computes the HIT of a host identity. <paramref name="hostIdBytes"/> is exactly the Host Identity field of
    /// the HOST_ID parameter (RFC 7401 §5.2.9). Throws <see cref="ArgumentOutOfRangeException"/> for algorithms
    /// without a HIT suite.
    /// </summary>
    public static Hit ComputeHit(HostIdentityAlgorithm algorithm, ReadOnlySpan<byte> hostIdBytes)
    {
        HitSuite suite = algorithm.ToHitSuite();
        if (suite == HitSuite.Reserved)
        {
            throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "no HIT suite for this HI algorithm");
        }

        return ComputeHit(suite, hostIdBytes);
    }

    /// <summary>Computes an ORCHIDv2 in the HIP context for an explicit OGA ID (HIT suite) and input bitstring.</summary>
    public static Hit ComputeHit(HitSuite suite, ReadOnlySpan<byte> input)
    {
        int rhashLength = suite.RhashLength();
        int total = HipContextId.Length + input.Length;

        byte[]? rented = null;
        Span<byte> hashInput = total <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(total));
        hashInput = hashInput[..total];
        try
        {
            // RFC 7343 §2: Hash Input := Context ID | Input
            HipContextId.CopyTo(hashInput);
            input.CopyTo(hashInput[HipContextId.Length..]);

            Span<byte> digest = stackalloc byte[64];
            digest = digest[..suite.Hash(hashInput, digest)];
            return FromDigest(suite, digest, rhashLength);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>True when <paramref name="hit"/> is the HIT of the given host identity (suite and hash both match).</summary>
    public static bool Verify(Hit hit, HostIdentityAlgorithm algorithm, ReadOnlySpan<byte> hostIdBytes)
    {
        HitSuite suite = algorithm.ToHitSuite();
        if (suite == HitSuite.Reserved || !hit.IsOrchidV2 || hit.OgaId != (int)suite)
        {
            return false;
        }

        return ComputeHit(suite, hostIdBytes) == hit;
    }

    private static Hit FromDigest(HitSuite suite, ReadOnlySpan<byte> digest, int rhashLength)
    {
        // RFC 7343 §2: Encode_96 extracts the middle 96 bits of the hash output. For SHA-1/256/384 the
        // (len - 96) / 2 skipped bits are 32/80/144, always whole octets.
        int offset = (rhashLength - 12) / 2;
        ReadOnlySpan<byte> middle = digest.Slice(offset, 12);

        // RFC 7343 §2: ORCHID := Prefix (28 bits) | OGA ID (4 bits) | Encode_96(Hash)
        ulong high = ((ulong)(PrefixWord | (uint)suite) << 32) | BinaryPrimitives.ReadUInt32BigEndian(middle);
        ulong low = BinaryPrimitives.ReadUInt64BigEndian(middle[4..]);
        return new Hit(high, low);
    }
}
