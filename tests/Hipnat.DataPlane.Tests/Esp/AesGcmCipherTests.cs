using System.Security.Cryptography;
using Hipnat.DataPlane.Esp;

namespace Hipnat.DataPlane.Tests.Esp;

public class AesGcmCipherTests
{
    /// <summary>Every implementation: eight-block GHASH with VPCLMULQDQ (the default), four-block GHASH, the BCL.</summary>
    public enum Path
    {
        Wide,
        Narrow,
        Platform,
    }

    public static TheoryData<Path> Paths => [Path.Wide, Path.Narrow, Path.Platform];

    private static AesGcmCipher Create(byte[] key, Path path) => path switch
    {
        Path.Wide => new AesGcmCipher(key),
        Path.Narrow => new AesGcmCipher(key, useWide: false),
        _ => new AesGcmCipher(key, useHardware: false),
    };

    // The GCM specification's test cases 1-4 (AES-128) and 13-14 (AES-256), as reproduced in NIST's GCM validation.
    [Theory]
    [InlineData("00000000000000000000000000000000", "000000000000000000000000", "", "", "", "58e2fccefa7e3061367f1d57a4e7455a")]
    [InlineData("00000000000000000000000000000000", "000000000000000000000000", "00000000000000000000000000000000", "", "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919")]
    public void Known_answers(string key, string nonce, string plaintext, string aad, string ciphertext, string tag)
    {
        foreach (var path in Enum.GetValues<Path>())
        {
            using var gcm = Create(Convert.FromHexString(key), path);
            byte[] data = Convert.FromHexString(plaintext);
            byte[] t = new byte[16];
            gcm.Encrypt(Convert.FromHexString(nonce), data, t, Convert.FromHexString(aad));
            Assert.Equal(ciphertext, Convert.ToHexStringLower(data));
            Assert.Equal(tag, Convert.ToHexStringLower(t));
        }
    }

    [Theory]
    [InlineData(16, true)]
    [InlineData(32, true)]
    [InlineData(16, false)]
    [InlineData(32, false)]
    public void Matches_the_platform_aes_gcm_for_every_length(int keyLength, bool wide)
    {
        var rnd = new Random(keyLength * 31);
        byte[] key = new byte[keyLength];
        rnd.NextBytes(key);
        using var platform = new AesGcm(key, 16);
        using var ours = new AesGcmCipher(key, useWide: wide);
        Assert.Equal(AesGcmCipher.IsHardwareAccelerated, ours.UsesHardware);
        Assert.Equal(wide && AesGcmCipher.IsHardwareAccelerated && AesGcmCipher.IsWideAccelerated, ours.UsesWide);
        int[] aadLengths = [0, 8, 12, 16, 17, 70];
        for (int length = 0; length <= 302; length++)
        {
            int n = length switch { 300 => 1500, 301 => 9000, 302 => 65535, _ => length };
            byte[] nonce = new byte[12];
            byte[] plaintext = new byte[n];
            byte[] aad = new byte[aadLengths[length % aadLengths.Length]];
            rnd.NextBytes(nonce);
            rnd.NextBytes(plaintext);
            rnd.NextBytes(aad);

            byte[] expected = new byte[n];
            byte[] expectedTag = new byte[16];
            platform.Encrypt(nonce, plaintext, expected, expectedTag, aad);

            byte[] data = (byte[])plaintext.Clone();
            byte[] tag = new byte[16];
            ours.Encrypt(nonce, data, tag, aad);
            Assert.Equal(expected, data);
            Assert.Equal(expectedTag, tag);

            byte[] decrypted = new byte[n];
            Assert.True(ours.Decrypt(nonce, data, tag, decrypted, aad));
            Assert.Equal(plaintext, decrypted);
            Assert.True(ours.Decrypt(nonce, data, tag, data, aad)); // in place
            Assert.Equal(plaintext, data);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_wrong_tag_decrypts_nothing(Path path)
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        byte[] nonce = RandomNumberGenerator.GetBytes(12);
        byte[] aad = RandomNumberGenerator.GetBytes(12);
        using var gcm = Create(key, path);
        foreach (int length in new[] { 0, 1, 100, 127, 128, 129, 1400, 1500, 9000 })
        {
            byte[] data = RandomNumberGenerator.GetBytes(length);
            byte[] tag = new byte[16];
            gcm.Encrypt(nonce, data, tag, aad);
            for (int bit = 0; bit < 128; bit += 9)
            {
                byte[] bad = (byte[])tag.Clone();
                bad[bit / 8] ^= (byte)(1 << (bit % 8));
                AssertRejected(gcm, path, nonce, data, bad, aad);
            }

            byte[] otherAad = (byte[])aad.Clone();
            otherAad[11] ^= 1;
            AssertRejected(gcm, path, nonce, data, tag, otherAad);
            if (length > 0)
            {
                byte[] forged = (byte[])data.Clone();
                forged[length / 2] ^= 0x40;
                AssertRejected(gcm, path, nonce, forged, tag, aad);
            }
        }
    }

    /// <summary>
    /// False, and no plaintext anywhere: on the hardware paths the tag is verified before decrypting, so the
    /// destination is untouched and, in place, the ciphertext left as it was; the BCL clears the destination.
    /// </summary>
    private static void AssertRejected(AesGcmCipher gcm, Path path, byte[] nonce, byte[] ciphertext, byte[] tag, byte[] aad)
    {
        byte[] output = Enumerable.Repeat((byte)0xAA, ciphertext.Length).ToArray();
        Assert.False(gcm.Decrypt(nonce, ciphertext, tag, output, aad));
        if (path == Path.Platform || !gcm.UsesHardware)
        {
            Assert.All(output, b => Assert.True(b is 0 or 0xAA));
            return;
        }

        Assert.All(output, b => Assert.Equal(0xAA, b));
        byte[] inPlace = (byte[])ciphertext.Clone();
        Assert.False(gcm.Decrypt(nonce, inPlace, tag, inPlace, aad));
        Assert.Equal(ciphertext, inPlace);
    }

    [Theory]
    [InlineData(16, true)]
    [InlineData(32, true)]
    [InlineData(16, false)]
    [InlineData(32, false)]
    public void Random_keys_nonces_aad_and_payloads_match_the_platform_both_ways(int keyLength, bool wide)
    {
        var rnd = new Random(0x5717C4 + keyLength);
        for (int i = 0; i < 600; i++)
        {
            // Every length 0-300, then random lengths up to 9,000; a fresh key every 50 packets.
            int n = i <= 300 ? i : rnd.Next(0, 9001);
            byte[] key = new byte[keyLength];
            new Random(keyLength + (i / 50)).NextBytes(key);
            using var ours = new AesGcmCipher(key, useWide: wide);
            using var platform = new AesGcm(key, 16);
            Assert.Equal(wide && AesGcmCipher.IsHardwareAccelerated && AesGcmCipher.IsWideAccelerated, ours.UsesWide);
            byte[] nonce = new byte[12];
            byte[] aad = new byte[rnd.Next(0, 33)];
            byte[] plaintext = new byte[n];
            rnd.NextBytes(nonce);
            rnd.NextBytes(aad);
            rnd.NextBytes(plaintext);

            // Sealed by hipnat, opened by the BCL.
            byte[] data = (byte[])plaintext.Clone();
            byte[] tag = new byte[16];
            ours.Encrypt(nonce, data, tag, aad);
            byte[] opened = new byte[n];
            platform.Decrypt(nonce, data, tag, opened, aad);
            Assert.Equal(plaintext, opened);

            // Sealed by the BCL, opened by hipnat out of place and in place.
            byte[] ciphertext = new byte[n];
            byte[] platformTag = new byte[16];
            platform.Encrypt(nonce, plaintext, ciphertext, platformTag, aad);
            Assert.Equal(ciphertext, data);
            Assert.Equal(platformTag, tag);
            byte[] decrypted = new byte[n + 7];
            Assert.True(ours.Decrypt(nonce, ciphertext, platformTag, decrypted, aad));
            Assert.Equal(plaintext, decrypted[..n]);
            Assert.All(decrypted[n..], b => Assert.Equal(0, b)); // nothing written past the ciphertext's length
            Assert.True(ours.Decrypt(nonce, ciphertext, platformTag, ciphertext, aad));
            Assert.Equal(plaintext, ciphertext);
        }
    }
}
