using Hipnat.Wire;

namespace Hipnat.Crypto;

/// <summary>
/// ESP SA keys drawn from KEYMAT after the HIP keys (RFC 7402 §7), in this order: SA-gl encryption, SA-gl
/// authentication (HOST_g's outgoing traffic), SA-lg encryption, SA-lg authentication (HOST_l's outgoing traffic).
/// On rekeying only these four are drawn, starting at the ESP_INFO KEYMAT Index (set <see cref="Keymat.Index"/>).
/// </summary>
public sealed class EspKeys
{
    private EspKeys(int keymatIndex, byte[] outEnc, byte[] outAuth, byte[] inEnc, byte[] inAuth)
    {
        KeymatIndex = keymatIndex;
        OutboundEncryptionKey = outEnc;
        OutboundAuthenticationKey = outAuth;
        InboundEncryptionKey = inEnc;
        InboundAuthenticationKey = inAuth;
    }

    /// <summary>KEYMAT index at which these keys were drawn.</summary>
    public int KeymatIndex { get; }

    /// <summary>Encryption key of the SA carrying our outgoing traffic.</summary>
    public ReadOnlyMemory<byte> OutboundEncryptionKey { get; }

    /// <summary>Authentication key of the SA carrying our outgoing traffic.</summary>
    public ReadOnlyMemory<byte> OutboundAuthenticationKey { get; }

    /// <summary>Encryption key of the SA carrying the peer's traffic to us.</summary>
    public ReadOnlyMemory<byte> InboundEncryptionKey { get; }

    /// <summary>Authentication key of the SA carrying the peer's traffic to us.</summary>
    public ReadOnlyMemory<byte> InboundAuthenticationKey { get; }

    /// <summary>
    /// Draws the four ESP keys at the current <see cref="Keymat.Index"/>; key sizes are those of the negotiated
    /// ESP transform (natural sizes, RFC 7401 §6.5).
    /// </summary>
    public static EspKeys Derive(Keymat keymat, int encryptionKeyLength, int authenticationKeyLength, Hit localHit, Hit peerHit)
    {
        ArgumentNullException.ThrowIfNull(keymat);
        ArgumentOutOfRangeException.ThrowIfNegative(encryptionKeyLength);
        ArgumentOutOfRangeException.ThrowIfNegative(authenticationKeyLength);
        if (localHit == peerHit)
        {
            throw new ArgumentException("local and peer HIT are equal; the key drawing order is undefined", nameof(peerHit));
        }

        int index = keymat.Index;
        byte[] glEnc = keymat.Draw(encryptionKeyLength);
        byte[] glAuth = keymat.Draw(authenticationKeyLength);
        byte[] lgEnc = keymat.Draw(encryptionKeyLength);
        byte[] lgAuth = keymat.Draw(authenticationKeyLength);

        return localHit > peerHit
            ? new EspKeys(index, glEnc, glAuth, lgEnc, lgAuth)
            : new EspKeys(index, lgEnc, lgAuth, glEnc, glAuth);
    }
}
