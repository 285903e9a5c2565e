using System.Security.Cryptography;
using Hipnat.DataPlane.Esp;

namespace Hipnat.DataPlane.Tests.Esp;

public class AesGcmCipherTests
{
    // The GCM specification's test cases 1-4 (AES-128) and 13-14 (AES-256), as reproduced in NIST's GCM validation.
    [Theory]
    [InlineData("00000000000000000000000000000000", "000000000000000000000000", "", "", "", "58e2fccefa7e3061367f1d57a4e7455a")]
    [InlineData("00000000000000000000000000000000", "000000000000000000000000", "00000000000000000000000000000000", "", "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919")]
    public void Known_answers(string key, string nonce, string plaintext, string aad, string ciphertext, string tag)
    {
        foreach (bool hardware in new[] { true, false })
        {
            using var gcm = new AesGcmCipher(Convert.FromHexString(key), hardware);
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

    [Fact]
    public void A_wrong_tag_decrypts_nothing()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        byte[] nonce = RandomNumberGenerator.GetBytes(12);
        byte[] aad = RandomNumberGenerator.GetBytes(12);
        foreach (bool hardware in new[] { true, false })
        {
            using var gcm = new AesGcmCipher(key, hardware);
            byte[] data = new byte[100];
            byte[] tag = new byte[16];
            gcm.Encrypt(nonce, data, tag, aad);
            for (int bit = 0; bit < 128; bit += 9)
            {
                byte[] bad = (byte[])tag.Clone();
                bad[bit / 8] ^= (byte)(1 << (bit % 8));
                byte[] output = Enumerable.Repeat((byte)0xAA, 100).ToArray();
                Assert.False(gcm.Decrypt(nonce, data, bad, output, aad));
                if (hardware)
                {
                    Assert.All(output, b => Assert.Equal(0xAA, b)); // verified before decrypting
                }
            }

            byte[] otherAad = (byte[])aad.Clone();
            otherAad[11] ^= 1;
            Assert.False(gcm.Decrypt(nonce, data, tag, new byte[100], otherAad));
        }
    }
}
