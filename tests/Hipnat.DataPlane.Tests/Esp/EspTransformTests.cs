using Hipnat.DataPlane.Esp;

namespace Hipnat.DataPlane.Tests.Esp;

public class EspTransformTests
{
    [Theory]
    [InlineData((ushort)7, EspCipherKind.Null, 0, 32, 0, 4)]
    [InlineData((ushort)8, EspCipherKind.AesCbc, 16, 32, 16, 16)]
    [InlineData((ushort)9, EspCipherKind.AesCbc, 32, 32, 16, 16)]
    [InlineData((ushort)13, EspCipherKind.AesGcm, 20, 0, 8, 4)]
    public void Rfc7402_suite_ids_map_to_their_sizes(ushort suite, EspCipherKind cipher, int encKey, int authKey, int iv, int alignment)
    {
        Assert.True(EspTransform.TryFromSuiteId(suite, out var t));
        Assert.Equal(suite, (ushort)t.SuiteId);
        Assert.Equal(cipher, t.Cipher);
        Assert.Equal(encKey, t.EncryptionKeyLength);
        Assert.Equal(authKey, t.AuthenticationKeyLength);
        Assert.Equal(iv, t.IvLength);
        Assert.Equal(alignment, t.PaddingAlignment);
        Assert.Equal(16, t.IcvLength);
        Assert.Equal(8 + iv, t.PayloadOffset);
    }

    [Fact]
    public void Suite_13_key_length_is_local_configuration_with_the_rfc4106_salt()
    {
        Assert.Same(EspTransform.Aes128Gcm, EspTransform.FromSuiteId(13));
        Assert.Same(EspTransform.Aes256Gcm, EspTransform.FromSuiteId(13, gcmKeyBits: 256));
        Assert.Equal(36, EspTransform.Aes256Gcm.EncryptionKeyLength); // RFC 4106 §8.1: 32 + 4
        Assert.Equal(4, EspTransform.Aes256Gcm.SaltLength);
        Assert.False(EspTransform.TryFromSuiteId(13, out _, gcmKeyBits: 192));
    }

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)1)]
    [InlineData((ushort)12)]
    [InlineData((ushort)14)]
    [InlineData((ushort)15)]
    [InlineData((ushort)0xFFFF)]
    public void Unsupported_suites_are_refused(ushort suite)
    {
        Assert.False(EspTransform.TryFromSuiteId(suite, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => EspTransform.FromSuiteId(suite));
    }

    [Fact]
    public void Only_null_is_authentication_only()
    {
        foreach (var t in EspTransform.All)
        {
            Assert.Equal(t.Cipher == EspCipherKind.Null, t.IsAuthenticationOnly);
        }
    }

    [Fact]
    public void Sealed_length_and_max_payload_agree()
    {
        foreach (var t in EspTransform.All)
        {
            for (int payload = 0; payload < 200; payload++)
            {
                int sealedLength = t.GetSealedLength(payload);
                Assert.True(sealedLength - payload <= t.MaxOverhead, $"{t} {payload}");
                Assert.Equal(0, (sealedLength - t.PayloadOffset - 16) % t.PaddingAlignment);
                Assert.True(t.GetMaxPayloadLength(sealedLength) >= payload);
                Assert.True(t.GetSealedLength(t.GetMaxPayloadLength(sealedLength)) <= sealedLength);
            }
        }
    }
}
