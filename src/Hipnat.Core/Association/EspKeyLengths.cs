namespace Hipnat.Core.Association;

/// <summary>
/// Octets of ESP keying material drawn from KEYMAT per direction for an ESP_TRANSFORM suite (RFC 7402 §5.1.2,
/// §7): AES-GCM takes its key plus a 4-octet salt (RFC 4106 §8.1) and no separate integrity key; HMAC-SHA-256-128
/// takes a 256-bit key (RFC 4868 §2.1.1). Suite 13 is AES-128-GCM unless both peers are configured for 256 bits.
/// </summary>
public static class EspKeyLengths
{
    public static bool TryGet(ushort suite, out int encryption, out int integrity, int gcmKeyBits = 128)
    {
        (encryption, integrity) = suite switch
        {
            7 => (0, 32),                               // NULL with HMAC-SHA-256
            8 => (16, 32),                              // AES-128-CBC with HMAC-SHA-256
            9 => (32, 32),                              // AES-256-CBC with HMAC-SHA-256
            13 => ((gcmKeyBits / 8) + 4, 0),            // AES-GCM with a 16-octet ICV
            _ => (-1, -1),
        };
        return encryption >= 0;
    }
}
