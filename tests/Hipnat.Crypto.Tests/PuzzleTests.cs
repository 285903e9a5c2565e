using System.Security.Cryptography;
using Hipnat.Wire;

namespace Hipnat.Crypto.Tests;

public class PuzzleTests
{
    private static readonly Hit HitI = Hit.Parse("2001:22:aaaa::1");
    private static readonly Hit HitR = Hit.Parse("2001:21:bbbb::2");

    [Theory]
    [InlineData(HitSuite.RsaDsaSha256)]
    [InlineData(HitSuite.EcdsaSha384)]
    [InlineData(HitSuite.EcdsaLowSha1)]
    public void Solve_with_k8_then_verify_and_check_by_hand(HitSuite suite)
    {
        int n = Puzzle.ValueLength(suite);
        Assert.Equal(suite.RhashLength(), n);
        var i = new byte[n];
        Puzzle.GenerateI(i);
        var j = new byte[n];

        Assert.True(Puzzle.TrySolve(suite, i, HitI, HitR, 8, j, maxAttempts: 1_000_000));
        Assert.True(Puzzle.Verify(suite, i, HitI, HitR, j, 8));

        // By hand: the last octet of RHASH(#I | HIT-I | HIT-R | #J) is zero.
        byte[] digest = Digest(suite, i, j, HitI, HitR);
        Assert.Equal(0, digest[^1]);
    }

    [Fact]
    public void Wrong_j_wrong_i_and_swapped_hits_are_rejected()
    {
        const HitSuite suite = HitSuite.EcdsaSha384;
        byte[] i = RandomNumberGenerator.GetBytes(48);
        var j = new byte[48];
        Assert.True(Puzzle.TrySolve(suite, i, HitI, HitR, 8, j, 1_000_000));

        // Every single-bit change of #J whose hash does not end in a zero octet must be rejected;
        // the hand computation decides which those are (about 255 in 256).
        int rejected = 0;
        for (int bit = 0; bit < 48 * 8; bit++)
        {
            byte[] wrong = (byte[])j.Clone();
            wrong[bit / 8] ^= (byte)(1 << (bit % 8));
            bool valid = Digest(suite, i, wrong, HitI, HitR)[^1] == 0;
            Assert.Equal(valid, Puzzle.Verify(suite, i, HitI, HitR, wrong, 8));
            rejected += valid ? 0 : 1;
        }

        Assert.True(rejected > 300);
        Assert.Equal(Digest(suite, i, j, HitR, HitI)[^1] == 0, Puzzle.Verify(suite, i, HitR, HitI, j, 8));

        Assert.False(Puzzle.Verify(suite, i, HitI, HitR, j.AsSpan(..^1), 8));
        Assert.False(Puzzle.Verify(suite, i.AsSpan(..32), HitI, HitR, j, 8));
        Assert.False(Puzzle.Verify(suite, i, HitI, HitR, j, -1));
        Assert.False(Puzzle.Verify(suite, i, HitI, HitR, j, 256));
        Assert.False(Puzzle.Verify(HitSuite.Reserved, i, HitI, HitR, j, 8));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(12)]
    public void Low_order_bits_are_the_ones_checked(int k)
    {
        const HitSuite suite = HitSuite.RsaDsaSha256;
        byte[] i = RandomNumberGenerator.GetBytes(32);
        var j = new byte[32];
        Assert.True(Puzzle.TrySolve(suite, i, HitI, HitR, k, j, 10_000_000, new Random(k)));

        byte[] digest = Digest(suite, i, j, HitI, HitR);
        ulong low = (ulong)digest[^1] | ((ulong)digest[^2] << 8);
        Assert.Equal(0UL, low & ((1UL << k) - 1));
        Assert.True(Puzzle.Verify(suite, i, HitI, HitR, j, k));
    }

    [Fact]
    public void Zero_difficulty_accepts_any_j_and_attempt_limit_is_honoured()
    {
        byte[] i = RandomNumberGenerator.GetBytes(32);
        Assert.True(Puzzle.Verify(HitSuite.RsaDsaSha256, i, HitI, HitR, RandomNumberGenerator.GetBytes(32), 0));

        var j = new byte[32];
        Assert.False(Puzzle.TrySolve(HitSuite.RsaDsaSha256, i, HitI, HitR, 40, j, maxAttempts: 1000, new Random(1)));
        Assert.False(Puzzle.TrySolve(HitSuite.RsaDsaSha256, i, HitI, HitR, 1, j, maxAttempts: 0));
        Assert.False(Puzzle.TrySolve(HitSuite.RsaDsaSha256, i, HitI, HitR, 1, new byte[31], maxAttempts: 10));
    }

    [Fact]
    public void Seeded_search_is_reproducible()
    {
        byte[] i = RandomNumberGenerator.GetBytes(48);
        var a = new byte[48];
        var b = new byte[48];
        Assert.True(Puzzle.TrySolve(HitSuite.EcdsaSha384, i, HitI, HitR, 6, a, 100_000, new Random(99)));
        Assert.True(Puzzle.TrySolve(HitSuite.EcdsaSha384, i, HitI, HitR, 6, b, 100_000, new Random(99)));
        Assert.Equal(a, b);
    }

    private static byte[] Digest(HitSuite suite, byte[] i, byte[] j, Hit hitI, Hit hitR)
    {
        byte[] input = [.. i, .. hitI.ToArray(), .. hitR.ToArray(), .. j];
        return suite switch
        {
            HitSuite.RsaDsaSha256 => SHA256.HashData(input),
            HitSuite.EcdsaSha384 => SHA384.HashData(input),
            _ => SHA1.HashData(input),
        };
    }
}
