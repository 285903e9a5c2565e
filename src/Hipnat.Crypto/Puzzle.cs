using System.Security.Cryptography;
using Hipnat.Wire;

namespace Hipnat.Crypto;

/// <summary>
/// The HIP puzzle (RFC 7401 §4.1.2, §5.2.4, §6.3): find #J such that
/// <c>Ltrunc(RHASH(#I | HIT-I | HIT-R | #J), #K) == 0</c>, i.e. the #K lowest-order bits of the digest are zero.
/// #I and #J are RHASH_len / 8 octets; the HITs are the Initiator's and the Responder's, in that order.
/// </summary>
public static class Puzzle
{
    /// <summary>Length of #I and #J: RHASH_len / 8 octets (RFC 7401 §5.2.4, §5.2.5).</summary>
    public static int ValueLength(HitSuite suite) => suite.RhashLength();

    /// <summary>Largest meaningful #K for a suite: the number of bits RHASH produces.</summary>
    public static int MaxDifficulty(HitSuite suite) => Math.Min(255, suite.RhashBits());

    /// <summary>Fills <paramref name="i"/> with a random puzzle #I (RFC 7401 §4.1.2: the Initiator must not be able to guess it).</summary>
    public static void GenerateI(Span<byte> i) => RandomNumberGenerator.Fill(i);

    /// <summary>
    /// The Responder's check (RFC 7401 §6.3): true when #J solves the puzzle. False for wrong #I/#J lengths, an
    /// out-of-range #K or an unknown suite; never throws.
    /// </summary>
    public static bool Verify(HitSuite suite, ReadOnlySpan<byte> i, Hit hitI, Hit hitR, ReadOnlySpan<byte> j, int k)
    {
        if (!suite.IsDefined())
        {
            return false;
        }

        int n = suite.RhashLength();
        if (i.Length != n || j.Length != n || k < 0 || k > MaxDifficulty(suite))
        {
            return false;
        }

        Span<byte> input = stackalloc byte[(2 * 64) + (2 * Hit.Length)];
        input = input[..((2 * n) + (2 * Hit.Length))];
        WriteInput(input, i, hitI, hitR, n);
        j.CopyTo(input[^n..]);

        Span<byte> digest = stackalloc byte[64];
        digest = digest[..suite.Hash(input, digest)];
        return LowBitsZero(digest, k);
    }

    /// <summary>
    /// The Initiator's search: tries up to <paramref name="maxAttempts"/> values of #J, starting from a random one
    /// (from <paramref name="random"/> when given, for reproducible tests; otherwise the system CSPRNG), and writes
    /// the first solution to <paramref name="j"/> (RHASH_len / 8 octets). Returns false when none was found.
    /// </summary>
    public static bool TrySolve(
        HitSuite suite,
        ReadOnlySpan<byte> i,
        Hit hitI,
        Hit hitR,
        int k,
        Span<byte> j,
        long maxAttempts,
        Random? random = null)
    {
        if (!suite.IsDefined())
        {
            return false;
        }

        int n = suite.RhashLength();
        if (i.Length != n || j.Length < n || k < 0 || k > MaxDifficulty(suite) || maxAttempts <= 0)
        {
            return false;
        }

        Span<byte> input = stackalloc byte[(2 * 64) + (2 * Hit.Length)];
        input = input[..((2 * n) + (2 * Hit.Length))];
        WriteInput(input, i, hitI, hitR, n);
        Span<byte> candidate = input[^n..];
        if (random is null)
        {
            RandomNumberGenerator.Fill(candidate);
        }
        else
        {
            random.NextBytes(candidate);
        }

        Span<byte> digest = stackalloc byte[64];
        for (long attempt = 0; attempt < maxAttempts; attempt++)
        {
            int len = suite.Hash(input, digest);
            if (LowBitsZero(digest[..len], k))
            {
                candidate.CopyTo(j);
                return true;
            }

            Increment(candidate);
        }

        return false;
    }

    // RFC 7401 §6.3: #I | HIT-I | HIT-R | #J, all in network byte order.
    private static void WriteInput(Span<byte> input, ReadOnlySpan<byte> i, Hit hitI, Hit hitR, int n)
    {
        i.CopyTo(input);
        hitI.WriteTo(input[n..]);
        hitR.WriteTo(input[(n + Hit.Length)..]);
    }

    // Ltrunc(H, K) == 0 (RFC 7401 §2.2): the K lowest-order bits are the trailing bits of the digest.
    private static bool LowBitsZero(ReadOnlySpan<byte> digest, int k)
    {
        int fullBytes = k / 8;
        int restBits = k % 8;
        ReadOnlySpan<byte> tail = digest[(digest.Length - fullBytes)..];
        if (tail.ContainsAnyExcept((byte)0))
        {
            return false;
        }

        if (restBits == 0)
        {
            return true;
        }

        byte mask = (byte)((1 << restBits) - 1);
        return (digest[digest.Length - fullBytes - 1] & mask) == 0;
    }

    private static void Increment(Span<byte> value)
    {
        for (int p = value.Length - 1; p >= 0; p--)
        {
            if (++value[p] != 0)
            {
                return;
            }
        }
    }
}
