using System.Security.Cryptography;
using Hipnat.Wire;

namespace Hipnat.Crypto.Tests;

public class HipKeysTests
{
    private static readonly Hit Lesser = Hit.Parse("2001:22:1111::1");
    private static readonly Hit Greater = Hit.Parse("2001:22:9999::1");

    [Theory]
    [InlineData(HipCipherId.Aes128Cbc, 16)]
    [InlineData(HipCipherId.Aes256Cbc, 32)]
    [InlineData(HipCipherId.NullEncrypt, 0)]
    public void Keys_are_drawn_gl_then_lg_and_both_sides_agree(HipCipherId cipher, int encLength)
    {
        byte[] kij = RandomNumberGenerator.GetBytes(32);
        byte[] i = RandomNumberGenerator.GetBytes(48);
        byte[] j = RandomNumberGenerator.GetBytes(48);

        using var reference = new Keymat(HitSuite.EcdsaSha384, kij, Lesser, Greater, i, j);
        byte[] stream = reference.Draw((2 * encLength) + 96);
        byte[] glEnc = stream[..encLength];
        byte[] glInt = stream[encLength..(encLength + 48)];
        byte[] lgEnc = stream[(encLength + 48)..((2 * encLength) + 48)];
        byte[] lgInt = stream[((2 * encLength) + 48)..];

        // Initiator has the lesser HIT, Responder the greater one.
        using var initiatorKeymat = new Keymat(HitSuite.EcdsaSha384, kij, Lesser, Greater, i, j);
        using var responderKeymat = new Keymat(HitSuite.EcdsaSha384, kij, Lesser, Greater, i, j);
        HipKeys initiator = HipKeys.Derive(initiatorKeymat, cipher, HitSuite.EcdsaSha384, localHit: Lesser, peerHit: Greater);
        HipKeys responder = HipKeys.Derive(responderKeymat, cipher, HitSuite.EcdsaSha384, localHit: Greater, peerHit: Lesser);

        Assert.False(initiator.LocalIsGreater);
        Assert.True(responder.LocalIsGreater);
        Assert.Equal(glEnc, responder.LocalEncryptionKey.ToArray());
        Assert.Equal(glInt, responder.LocalIntegrityKey.ToArray());
        Assert.Equal(lgEnc, initiator.LocalEncryptionKey.ToArray());
        Assert.Equal(lgInt, initiator.LocalIntegrityKey.ToArray());

        Assert.Equal(initiator.LocalEncryptionKey.ToArray(), responder.PeerEncryptionKey.ToArray());
        Assert.Equal(initiator.LocalIntegrityKey.ToArray(), responder.PeerIntegrityKey.ToArray());
        Assert.Equal(responder.LocalIntegrityKey.ToArray(), initiator.PeerIntegrityKey.ToArray());
        Assert.NotEqual(initiator.LocalIntegrityKey.ToArray(), initiator.PeerIntegrityKey.ToArray());
        Assert.Equal((2 * encLength) + 96, initiatorKeymat.Index);
    }

    [Fact]
    public void Esp_keys_follow_the_hip_keys_in_rfc7402_order()
    {
        byte[] kij = RandomNumberGenerator.GetBytes(32);
        byte[] i = RandomNumberGenerator.GetBytes(32);
        byte[] j = RandomNumberGenerator.GetBytes(32);
        using var reference = new Keymat(HitSuite.RsaDsaSha256, kij, Lesser, Greater, i, j);
        byte[] stream = reference.Draw(2 * (16 + 32) + 2 * (16 + 32));
        byte[] esp = stream[96..];

        using var keymat = new Keymat(HitSuite.RsaDsaSha256, kij, Greater, Lesser, i, j);
        _ = HipKeys.Derive(keymat, HipCipherId.Aes128Cbc, HitSuite.RsaDsaSha256, Lesser, Greater);
        EspKeys ours = EspKeys.Derive(keymat, 16, 32, localHit: Lesser, peerHit: Greater);

        Assert.Equal(96, ours.KeymatIndex);
        Assert.Equal(esp[..16], ours.InboundEncryptionKey.ToArray());          // SA-gl: HOST_g's outgoing traffic
        Assert.Equal(esp[16..48], ours.InboundAuthenticationKey.ToArray());
        Assert.Equal(esp[48..64], ours.OutboundEncryptionKey.ToArray());        // SA-lg: our (HOST_l's) outgoing traffic
        Assert.Equal(esp[64..96], ours.OutboundAuthenticationKey.ToArray());
    }

    [Fact]
    public void Mismatched_suite_or_equal_hits_are_refused()
    {
        using var keymat = new Keymat(HitSuite.EcdsaSha384, new byte[32], Lesser, Greater, new byte[48], new byte[48]);
        Assert.Throws<ArgumentException>(() => HipKeys.Derive(keymat, HipCipherId.Aes128Cbc, HitSuite.RsaDsaSha256, Lesser, Greater));
        Assert.Throws<ArgumentException>(() => HipKeys.Derive(keymat, HipCipherId.Aes128Cbc, HitSuite.EcdsaSha384, Lesser, Lesser));
    }
}
