using System.Security.Cryptography;

namespace Hipnat.Crypto.Tests;

public class HipCipherTests
{
    [Theory]
    [InlineData(HipCipherId.Aes128Cbc, 0)]
    [InlineData(HipCipherId.Aes128Cbc, 8)]
    [InlineData(HipCipherId.Aes128Cbc, 16)]
    [InlineData(HipCipherId.Aes128Cbc, 136)]
    [InlineData(HipCipherId.Aes256Cbc, 8)]
    [InlineData(HipCipherId.Aes256Cbc, 32)]
    [InlineData(HipCipherId.Aes256Cbc, 1000)]
    [InlineData(HipCipherId.NullEncrypt, 0)]
    [InlineData(HipCipherId.NullEncrypt, 40)]
    public void Round_trip(HipCipherId cipher, int length)
    {
        byte[] key = RandomNumberGenerator.GetBytes(HipCipher.KeyLength(cipher));
        var iv = new byte[HipCipher.IvLength(cipher)];
        HipCipher.GenerateIv(iv);
        byte[] plaintext = RandomNumberGenerator.GetBytes(length);

        var ciphertext = new byte[HipCipher.CiphertextLength(cipher, length)];
        Assert.True(HipCipher.TryEncrypt(cipher, key, iv, plaintext, ciphertext, out int written));
        Assert.Equal(ciphertext.Length, written);

        var decrypted = new byte[written];
        Assert.True(HipCipher.TryDecrypt(cipher, key, iv, ciphertext, decrypted, out int plainLength));
        Assert.Equal(plaintext, decrypted[..plainLength]);

        if (cipher != HipCipherId.NullEncrypt)
        {
            Assert.Equal(0, written % 16);
            Assert.True(written > length); // PKCS#5 always adds 1..16 octets
            if (length >= 16)
            {
                Assert.NotEqual(plaintext[..16], ciphertext[..16]);
            }
        }
        else
        {
            Assert.Equal(plaintext, ciphertext);
        }
    }

    [Fact]
    public void Sizes_follow_rfc7401()
    {
        Assert.Equal(16, HipCipher.KeyLength(HipCipherId.Aes128Cbc));
        Assert.Equal(32, HipCipher.KeyLength(HipCipherId.Aes256Cbc));
        Assert.Equal(0, HipCipher.KeyLength(HipCipherId.NullEncrypt));
        Assert.Equal(16, HipCipher.IvLength(HipCipherId.Aes128Cbc));
        Assert.Equal(0, HipCipher.IvLength(HipCipherId.NullEncrypt));
        Assert.Equal(48, HipCipher.CiphertextLength(HipCipherId.Aes128Cbc, 40));
        Assert.Equal(48, HipCipher.CiphertextLength(HipCipherId.Aes128Cbc, 32));
        Assert.False(HipCipher.IsSupported(HipCipherId.Reserved3));
        Assert.Throws<ArgumentOutOfRangeException>(() => HipCipher.KeyLength(HipCipherId.Reserved3));
    }

    [Fact]
    public void Padding_is_pkcs5_n_octets_of_value_n()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        byte[] iv = RandomNumberGenerator.GetBytes(16);
        byte[] plaintext = RandomNumberGenerator.GetBytes(40); // 8-byte aligned HIP parameters
        var ciphertext = new byte[48];
        Assert.True(HipCipher.TryEncrypt(HipCipherId.Aes128Cbc, key, iv, plaintext, ciphertext, out _));

        using Aes aes = Aes.Create();
        aes.Key = key;
        byte[] raw = aes.DecryptCbc(ciphertext, iv, PaddingMode.None);
        Assert.Equal(plaintext, raw[..40]);
        Assert.All(raw[40..], b => Assert.Equal(8, b));
    }

    [Fact]
    public void Bad_padding_lengths_keys_and_ivs_are_rejected()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        byte[] iv = RandomNumberGenerator.GetBytes(16);
        var output = new byte[64];

        using Aes aes = Aes.Create();
        aes.Key = key;

        // A final block ending in 0x00 or 0x11 is not PKCS#5 padding.
        foreach (byte last in new byte[] { 0x00, 0x11 })
        {
            var block = new byte[32];
            block[^1] = last;
            byte[] ciphertext = aes.EncryptCbc(block, iv, PaddingMode.None);
            Assert.False(HipCipher.TryDecrypt(HipCipherId.Aes128Cbc, key, iv, ciphertext, output, out int written));
            Assert.Equal(0, written);
        }

        // Inconsistent padding octets (…, 0x02, 0x03, 0x03 claims three but has 02 in the middle).
        var inconsistent = new byte[16];
        inconsistent[^3] = 0x02;
        inconsistent[^2] = 0x03;
        inconsistent[^1] = 0x03;
        Assert.False(HipCipher.TryDecrypt(HipCipherId.Aes128Cbc, key, iv, aes.EncryptCbc(inconsistent, iv, PaddingMode.None), output, out _));

        byte[] good = aes.EncryptCbc(new byte[8], iv, PaddingMode.PKCS7);
        Assert.True(HipCipher.TryDecrypt(HipCipherId.Aes128Cbc, key, iv, good, output, out _));
        Assert.False(HipCipher.TryDecrypt(HipCipherId.Aes128Cbc, key, iv, good.AsSpan(..15), output, out _)); // not whole blocks
        Assert.False(HipCipher.TryDecrypt(HipCipherId.Aes128Cbc, key, iv, [], output, out _));
        Assert.False(HipCipher.TryDecrypt(HipCipherId.Aes128Cbc, key.AsSpan(..15), iv, good, output, out _));
        Assert.False(HipCipher.TryDecrypt(HipCipherId.Aes128Cbc, key, iv.AsSpan(..8), good, output, out _));
        Assert.False(HipCipher.TryDecrypt(HipCipherId.Aes256Cbc, key, iv, good, output, out _)); // key size of the other suite
        Assert.False(HipCipher.TryDecrypt(HipCipherId.Reserved3, key, iv, good, output, out _));
        Assert.False(HipCipher.TryDecrypt(HipCipherId.Aes128Cbc, key, iv, good, new byte[2], out _));

        Assert.False(HipCipher.TryEncrypt(HipCipherId.Aes128Cbc, key, iv, new byte[16], new byte[16], out _)); // needs 32
        Assert.False(HipCipher.TryEncrypt(HipCipherId.Aes128Cbc, key.AsSpan(..8), iv, new byte[8], output, out _));
        Assert.False(HipCipher.TryEncrypt(HipCipherId.NullEncrypt, [], iv, new byte[8], output, out _)); // NULL has no IV
        Assert.False(HipCipher.TryEncrypt((HipCipherId)99, key, iv, new byte[8], output, out _));
    }

    [Fact]
    public void Wrong_key_does_not_yield_the_plaintext()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] iv = RandomNumberGenerator.GetBytes(16);
        byte[] plaintext = RandomNumberGenerator.GetBytes(64);
        var ciphertext = new byte[80];
        Assert.True(HipCipher.TryEncrypt(HipCipherId.Aes256Cbc, key, iv, plaintext, ciphertext, out _));

        key[0] ^= 1;
        var output = new byte[80];
        bool ok = HipCipher.TryDecrypt(HipCipherId.Aes256Cbc, key, iv, ciphertext, output, out int written);
        Assert.False(ok && output.AsSpan(0, written).SequenceEqual(plaintext));
    }
}
