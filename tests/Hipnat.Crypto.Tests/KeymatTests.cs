using System.Security.Cryptography;
using Hipnat.Wire;

namespace Hipnat.Crypto.Tests;

public class KeymatTests
{
    private static readonly Hit HitLow = Hit.Parse("2001:22::1");
    private static readonly Hit HitHigh = Hit.Parse("2001:22:ffff::2");

    [Fact]
    public void Keymat_blocks_are_hkdf_sha384_computed_by_hand()
    {
        byte[] kij = RandomNumberGenerator.GetBytes(32);
        byte[] i = RandomNumberGenerator.GetBytes(48);
        byte[] j = RandomNumberGenerator.GetBytes(48);

        // RFC 7401 §6.5 with RFC 5869: salt = #I | #J, info = sort(HIT-I | HIT-R) (smaller HIT first).
        byte[] info = [.. HitLow.ToArray(), .. HitHigh.ToArray()];
        byte[] prk = HMACSHA384.HashData((byte[])[.. i, .. j], kij);
        byte[] k1 = HMACSHA384.HashData(prk, (byte[])[.. info, 0x01]);
        byte[] k2 = HMACSHA384.HashData(prk, (byte[])[.. k1, .. info, 0x02]);
        byte[] k3 = HMACSHA384.HashData(prk, (byte[])[.. k2, .. info, 0x03]);

        // The Initiator's HIT is the greater one here: sorting must still put the smaller first.
        using var keymat = new Keymat(HitSuite.EcdsaSha384, kij, hitI: HitHigh, hitR: HitLow, i, j);
        byte[] drawn = keymat.Draw(144);
        Assert.Equal(k1, drawn[..48]);
        Assert.Equal(k2, drawn[48..96]);
        Assert.Equal(k3, drawn[96..]);
        Assert.Equal(144, keymat.Index);
    }

    [Theory]
    [InlineData(HitSuite.RsaDsaSha256, 32)]
    [InlineData(HitSuite.EcdsaSha384, 48)]
    [InlineData(HitSuite.EcdsaLowSha1, 20)]
    public void Keymat_matches_the_platform_hkdf_and_draws_sequentially(HitSuite suite, int n)
    {
        byte[] kij = RandomNumberGenerator.GetBytes(384);
        byte[] i = RandomNumberGenerator.GetBytes(n);
        byte[] j = RandomNumberGenerator.GetBytes(n);
        byte[] info = [.. HitLow.ToArray(), .. HitHigh.ToArray()];
        byte[] expected = HKDF.DeriveKey(suite.RhashAlgorithm(), kij, 1000, [.. i, .. j], info);

        using var keymat = new Keymat(suite, kij, HitLow, HitHigh, i, j);
        var pieces = new List<byte>();
        foreach (int size in new[] { 16, 48, 16, 48, 1, 0, 32, 32, 200, 607 })
        {
            pieces.AddRange(keymat.Draw(size));
        }

        Assert.Equal(expected, pieces.ToArray());
        Assert.Equal(1000, keymat.Index);
    }

    [Fact]
    public void Role_order_of_the_hits_does_not_matter_but_the_values_do()
    {
        byte[] kij = RandomNumberGenerator.GetBytes(48);
        byte[] i = RandomNumberGenerator.GetBytes(48);
        byte[] j = RandomNumberGenerator.GetBytes(48);

        using var a = new Keymat(HitSuite.EcdsaSha384, kij, HitLow, HitHigh, i, j);
        using var b = new Keymat(HitSuite.EcdsaSha384, kij, HitHigh, HitLow, i, j);
        Assert.Equal(a.Draw(100), b.Draw(100));

        byte[] otherJ = (byte[])j.Clone();
        otherJ[0] ^= 1;
        using var c = new Keymat(HitSuite.EcdsaSha384, kij, HitLow, HitHigh, i, otherJ);
        using var d = new Keymat(HitSuite.EcdsaSha384, kij, HitLow, HitHigh, i, j);
        Assert.NotEqual(c.Draw(48), d.Draw(48));
    }

    [Fact]
    public void Index_can_be_set_to_continue_at_a_keymat_index()
    {
        byte[] kij = RandomNumberGenerator.GetBytes(48);
        byte[] i = RandomNumberGenerator.GetBytes(32);
        byte[] j = RandomNumberGenerator.GetBytes(32);
        using var whole = new Keymat(HitSuite.RsaDsaSha256, kij, HitLow, HitHigh, i, j);
        byte[] all = whole.Draw(500);

        using var jumping = new Keymat(HitSuite.RsaDsaSha256, kij, HitLow, HitHigh, i, j);
        jumping.Index = 300;
        Assert.Equal(all[300..400], jumping.Draw(100));
        jumping.Index = 10;
        Assert.Equal(all[10..20], jumping.Draw(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => jumping.Index = -1);
    }

    [Fact]
    public void Keymat_is_limited_to_255_blocks_and_checks_its_inputs()
    {
        byte[] kij = RandomNumberGenerator.GetBytes(32);
        byte[] i = new byte[32];
        byte[] j = new byte[32];
        using var keymat = new Keymat(HitSuite.RsaDsaSha256, kij, HitLow, HitHigh, i, j);
        Assert.Equal(255 * 32, keymat.MaxLength);
        keymat.Draw(keymat.MaxLength - 1);
        keymat.Draw(1);
        Assert.Throws<InvalidOperationException>(() => keymat.Draw(1));

        Assert.Throws<ArgumentException>(() => new Keymat(HitSuite.RsaDsaSha256, kij, HitLow, HitHigh, new byte[48], j));
        Assert.Throws<ArgumentException>(() => new Keymat(HitSuite.EcdsaSha384, kij, HitLow, HitHigh, i, j));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Keymat(HitSuite.Reserved, kij, HitLow, HitHigh, i, j));
    }
}
