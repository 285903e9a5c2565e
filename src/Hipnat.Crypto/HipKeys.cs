using Hipnat.Wire;

namespace Hipnat.Crypto;

/// <summary>
/// The four HIP association keys (RFC 7401 §6.5), drawn first from KEYMAT in this order:
/// HIP-gl encryption key (HOST_g's ENCRYPTED parameter), HIP-gl integrity key (HOST_g's outgoing HIP packets),
/// HIP-lg encryption key (HOST_l's ENCRYPTED parameter), HIP-lg integrity key (HOST_l's outgoing HIP packets);
/// HOST_g is the host with the greater HIT (unsigned 128-bit comparison). ESP keys follow; see <see cref="EspKeys"/>.
/// </summary>
public sealed class HipKeys
{
    private HipKeys(HipCipherId cipher, HitSuite suite, bool localIsGreater, byte[] localEnc, byte[] localInt, byte[] peerEnc, byte[] peerInt)
    {
        Cipher = cipher;
        Suite = suite;
        LocalIsGreater = localIsGreater;
        LocalEncryptionKey = localEnc;
        LocalIntegrityKey = localInt;
        PeerEncryptionKey = peerEnc;
        PeerIntegrityKey = peerInt;
    }

    public HipCipherId Cipher { get; }

    /// <summary>The Responder's HIT suite: its HMAC protects HIP_MAC / HIP_MAC_2.</summary>
    public HitSuite Suite { get; }

    /// <summary>True when we are HOST_g (our HIT is the greater one).</summary>
    public bool LocalIsGreater { get; }

    /// <summary>Key for the ENCRYPTED parameters we send (the peer decrypts with it).</summary>
    public ReadOnlyMemory<byte> LocalEncryptionKey { get; }

    /// <summary>HMAC key for the HIP_MAC / HIP_MAC_2 of the packets we send.</summary>
    public ReadOnlyMemory<byte> LocalIntegrityKey { get; }

    /// <summary>Key for decrypting the ENCRYPTED parameters the peer sends.</summary>
    public ReadOnlyMemory<byte> PeerEncryptionKey { get; }

    /// <summary>HMAC key for verifying the HIP_MAC / HIP_MAC_2 of the packets the peer sends.</summary>
    public ReadOnlyMemory<byte> PeerIntegrityKey { get; }

    /// <summary>
    /// Draws the four HIP keys from <paramref name="keymat"/> (which must be fresh: they are the first keys drawn
    /// during a base exchange, RFC 7402 §7). Encryption keys have the cipher's natural size, integrity keys the
    /// size of RHASH (RFC 7401 §6.5). <paramref name="suite"/> must be the suite of <paramref name="keymat"/>.
    /// </summary>
    public static HipKeys Derive(Keymat keymat, HipCipherId cipher, HitSuite suite, Hit localHit, Hit peerHit)
    {
        ArgumentNullException.ThrowIfNull(keymat);
        if (suite != keymat.Suite)
        {
            throw new ArgumentException($"HMAC suite {suite} differs from the KEYMAT suite {keymat.Suite}; both are the Responder's", nameof(suite));
        }

        if (localHit == peerHit)
        {
            throw new ArgumentException("local and peer HIT are equal; the key drawing order is undefined", nameof(peerHit));
        }

        int encLength = HipCipher.KeyLength(cipher);
        int intLength = suite.HmacLength();

        // RFC 7401 §6.5 drawing order: gl-encryption, gl-integrity, lg-encryption, lg-integrity.
        byte[] glEnc = keymat.Draw(encLength);
        byte[] glInt = keymat.Draw(intLength);
        byte[] lgEnc = keymat.Draw(encLength);
        byte[] lgInt = keymat.Draw(intLength);

        bool localIsGreater = localHit > peerHit;
        return localIsGreater
            ? new HipKeys(cipher, suite, true, glEnc, glInt, lgEnc, lgInt)
            : new HipKeys(cipher, suite, false, lgEnc, lgInt, glEnc, glInt);
    }
}
