namespace Hipnat.DataPlane.Esp;

/// <summary>
/// An ESP transform: the RFC 7402 §5.1.2 Suite ID plus the sizes ESP processing needs (key, IV, block, ICV).
/// </summary>
/// <remarks>
/// <para>
/// Suite 13 ("AES-GCM with a 16-octet ICV") does not say which AES key length to use, and HIP has no counterpart of
/// the IKE Key Length attribute that RFC 4106 §8.4 requires. hipnat therefore treats the GCM key length as local
/// configuration that both peers must share: suite 13 means AES-128-GCM (<see cref="Aes128Gcm"/>) unless
/// <c>gcmKeyBits: 256</c> is passed to <see cref="TryFromSuiteId"/>, which selects <see cref="Aes256Gcm"/>. 128 bits
/// is the default because it matches the key length of the mandatory suite 8 and is what "natural size" (RFC 7401
/// §6.5) gives for an unqualified AES suite. A mismatch is not silent: every packet fails the ICV check.
/// </para>
/// <para>
/// For GCM, the KEYMAT drawn for each SA's encryption key is four octets longer than the AES key; the extra four
/// octets are the nonce salt (RFC 4106 §8.1). GCM has no separate authentication key, so
/// <see cref="AuthenticationKeyLength"/> is 0 and the keys come out of <c>EspKeys.Derive(keymat,
/// EncryptionKeyLength, AuthenticationKeyLength, ...)</c> in RFC 7402 §7 order.
/// </para>
/// </remarks>
public sealed class EspTransform
{
    /// <summary>ESP header: SPI and Sequence Number, 4 octets each (RFC 4303 §2).</summary>
    public const int EspHeaderLength = 8;

    /// <summary>The ICV of every supported suite: HMAC-SHA-256-128 (RFC 4868 §2.3) or the 16-octet GCM tag (RFC 4106 §6).</summary>
    public const int IcvSize = 16;

    /// <summary>Pad Length and Next Header octets of the ESP trailer (RFC 4303 §2.5, §2.6).</summary>
    public const int TrailerLength = 2;

    private const int HmacSha256KeyLength = 32; // RFC 4868 §2.1.1: the key is 256 bits
    private const int GcmSaltLength = 4;        // RFC 4106 §4, §8.1

    private EspTransform(EspSuiteId suiteId, EspCipherKind cipher, int aesKeyLength, string name)
    {
        SuiteId = suiteId;
        Cipher = cipher;
        AesKeyLength = aesKeyLength;
        Name = name;
        switch (cipher)
        {
            case EspCipherKind.AesCbc:
                IvLength = 16;                       // RFC 3602: a random 16-octet IV precedes the ciphertext
                BlockSize = 16;
                AuthenticationKeyLength = HmacSha256KeyLength;
                break;
            case EspCipherKind.AesGcm:
                IvLength = 8;                        // RFC 4106 §3.1
                BlockSize = 1;                       // RFC 4106 §3.2: no block padding, only 4-octet alignment
                SaltLength = GcmSaltLength;
                break;
            default:
                BlockSize = 1;                       // RFC 2410: NULL has no IV and a block size of 1
                AuthenticationKeyLength = HmacSha256KeyLength;
                break;
        }

        // RFC 4303 §2.4: pad to the cipher block and so that the ICV starts on a 4-octet boundary.
        PaddingAlignment = Math.Max(BlockSize, 4);
    }

    /// <summary>NULL encryption with HMAC-SHA-256-128, suite 7.</summary>
    public static EspTransform NullHmacSha256 { get; } = new(EspSuiteId.NullHmacSha256, EspCipherKind.Null, 0, "NULL/HMAC-SHA-256-128");

    /// <summary>AES-128-CBC with HMAC-SHA-256-128, suite 8 (mandatory, RFC 7402 §5.1.2).</summary>
    public static EspTransform Aes128CbcHmacSha256 { get; } = new(EspSuiteId.Aes128CbcHmacSha256, EspCipherKind.AesCbc, 16, "AES-128-CBC/HMAC-SHA-256-128");

    /// <summary>AES-256-CBC with HMAC-SHA-256-128, suite 9.</summary>
    public static EspTransform Aes256CbcHmacSha256 { get; } = new(EspSuiteId.Aes256CbcHmacSha256, EspCipherKind.AesCbc, 32, "AES-256-CBC/HMAC-SHA-256-128");

    /// <summary>AES-128-GCM with a 16-octet ICV, suite 13 (the default key length for suite 13).</summary>
    public static EspTransform Aes128Gcm { get; } = new(EspSuiteId.AesGcm16, EspCipherKind.AesGcm, 16, "AES-128-GCM-16");

    /// <summary>AES-256-GCM with a 16-octet ICV, suite 13 when both peers are configured for 256-bit GCM keys.</summary>
    public static EspTransform Aes256Gcm { get; } = new(EspSuiteId.AesGcm16, EspCipherKind.AesGcm, 32, "AES-256-GCM-16");

    /// <summary>Every supported transform.</summary>
    public static IReadOnlyList<EspTransform> All { get; } =
        [NullHmacSha256, Aes128CbcHmacSha256, Aes256CbcHmacSha256, Aes128Gcm, Aes256Gcm];

    /// <summary>RFC 7402 §5.1.2 Suite ID carried in ESP_TRANSFORM.</summary>
    public EspSuiteId SuiteId { get; }

    public EspCipherKind Cipher { get; }

    /// <summary>AES key length in octets (16 or 32); 0 for NULL.</summary>
    public int AesKeyLength { get; }

    /// <summary>Nonce salt length in octets: 4 for GCM (RFC 4106 §4), 0 otherwise.</summary>
    public int SaltLength { get; }

    /// <summary>Octets drawn from KEYMAT for an SA's encryption key: AES key plus GCM salt (RFC 4106 §8.1).</summary>
    public int EncryptionKeyLength => AesKeyLength + SaltLength;

    /// <summary>Octets drawn from KEYMAT for an SA's authentication key: 32 for HMAC-SHA-256, 0 for GCM.</summary>
    public int AuthenticationKeyLength { get; }

    /// <summary>Explicit IV length in octets carried after the sequence number.</summary>
    public int IvLength { get; }

    /// <summary>Cipher block size the plaintext is padded to (1 for stream-like modes).</summary>
    public int BlockSize { get; }

    /// <summary>Padding alignment of payload, padding and trailer: max(block size, 4) (RFC 4303 §2.4).</summary>
    public int PaddingAlignment { get; }

    /// <summary>ICV length in octets.</summary>
    public int IcvLength => IcvSize;

    /// <summary>Offset of the (encrypted) payload in an ESP packet: SPI, Sequence Number, IV.</summary>
    public int PayloadOffset => EspHeaderLength + IvLength;

    /// <summary>
    /// True for suites without confidentiality; RFC 7402 §3.3.5 forbids accepting them unless local policy for the
    /// peer explicitly allows authentication-only mode.
    /// </summary>
    public bool IsAuthenticationOnly => Cipher == EspCipherKind.Null;

    public string Name { get; }

    /// <summary>Largest number of octets ESP adds to a payload of any length.</summary>
    public int MaxOverhead => PayloadOffset + PaddingAlignment - 1 + TrailerLength + IcvSize;

    /// <summary>Size of the ESP packet <see cref="EspSa.Seal"/> produces for a payload of the given length.</summary>
    public int GetSealedLength(int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        return PayloadOffset + GetCiphertextLength(payloadLength) + IcvSize;
    }

    /// <summary>Largest payload whose ESP packet fits in <paramref name="espPacketLength"/> octets (for MTU sizing).</summary>
    public int GetMaxPayloadLength(int espPacketLength)
    {
        int ciphertext = espPacketLength - PayloadOffset - IcvSize;
        ciphertext -= ciphertext % PaddingAlignment;
        return Math.Max(0, ciphertext - TrailerLength);
    }

    /// <summary>
    /// Maps an ESP_TRANSFORM Suite ID to a transform. <paramref name="gcmKeyBits"/> (128 or 256) chooses the AES key
    /// length for suite 13, see the remarks.
    /// </summary>
    public static bool TryFromSuiteId(ushort suiteId, out EspTransform transform, int gcmKeyBits = 128)
    {
        transform = (EspSuiteId)suiteId switch
        {
            EspSuiteId.NullHmacSha256 => NullHmacSha256,
            EspSuiteId.Aes128CbcHmacSha256 => Aes128CbcHmacSha256,
            EspSuiteId.Aes256CbcHmacSha256 => Aes256CbcHmacSha256,
            EspSuiteId.AesGcm16 when gcmKeyBits == 128 => Aes128Gcm,
            EspSuiteId.AesGcm16 when gcmKeyBits == 256 => Aes256Gcm,
            _ => null!,
        };
        return transform is not null;
    }

    /// <summary>As <see cref="TryFromSuiteId"/>, throwing for unsupported suites.</summary>
    public static EspTransform FromSuiteId(ushort suiteId, int gcmKeyBits = 128) =>
        TryFromSuiteId(suiteId, out var t, gcmKeyBits)
            ? t
            : throw new ArgumentOutOfRangeException(nameof(suiteId), suiteId, $"ESP suite {suiteId} (GCM key {gcmKeyBits} bits) is not supported");

    /// <summary>Length of payload + padding + trailer, the part that is encrypted (RFC 4303 §2.4).</summary>
    internal int GetCiphertextLength(int payloadLength)
    {
        int unpadded = payloadLength + TrailerLength;
        int rem = unpadded % PaddingAlignment;
        return rem == 0 ? unpadded : unpadded + PaddingAlignment - rem;
    }

    public override string ToString() => Name;
}
