using System.Security.Cryptography;
using Hipnat.DataPlane.Esp;

namespace Hipnat.DataPlane.Tests.Esp;

public class AesCbcCipherTests
{
    // FIPS-197 Appendix C.1 and C.3 example vectors.
    [Theory]
    [InlineData("000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a")]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "8ea2b7ca516745bfeafc49904b496089")]
    public void Block_cipher_matches_fips197(string key, string expected)
    {
        byte[] plaintext = Convert.FromHexString("00112233445566778899aabbccddeeff");
        foreach (bool hardware in new[] { true, false })
        {
            using var aes = new AesCbcCipher(Convert.FromHexString(key), hardware);
            var output = new byte[16];
            aes.EncryptBlock(plaintext, output);
            Assert.Equal(expected, Convert.ToHexStringLower(output));

            // One-block CBC with a zero IV is the block cipher; decryption inverts it.
            var back = new byte[16];
            aes.Decrypt(new byte[16], output, back);
            Assert.Equal(plaintext, back);
        }
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public void Cbc_matches_the_platform_aes_for_every_length_and_in_place(int keyLength)
    {
        var rnd = new Random(keyLength);
        byte[] key = new byte[keyLength];
        rnd.NextBytes(key);
        using var platform = Aes.Create();
        platform.Key = key;
        using var hardware = new AesCbcCipher(key);
        using var portable = new AesCbcCipher(key, useHardware: false);
        Assert.False(portable.UsesHardware);

        for (int blocks = 1; blocks <= 12; blocks++)
        {
            byte[] iv = new byte[16];
            byte[] plaintext = new byte[blocks * 16];
            rnd.NextBytes(iv);
            rnd.NextBytes(plaintext);
            byte[] expected = platform.EncryptCbc(plaintext, iv, PaddingMode.None);

            foreach (var cipher in new[] { hardware, portable })
            {
                byte[] data = (byte[])plaintext.Clone();
                cipher.EncryptInPlace(iv, data);
                Assert.Equal(expected, data);

                byte[] decrypted = new byte[data.Length];
                cipher.Decrypt(iv, data, decrypted);
                Assert.Equal(plaintext, decrypted);

                cipher.Decrypt(iv, data, data); // in place
                Assert.Equal(plaintext, data);
            }
        }
    }
}
