namespace Hipnat.DataPlane.Esp;

/// <summary>
/// The ESP_TRANSFORM Suite IDs hipnat implements (RFC 7402 §5.1.2). The other registered suites (1–6, 10–12, 14, 15)
/// are not supported and are never offered or accepted.
/// </summary>
public enum EspSuiteId : ushort
{
    /// <summary>NULL encryption with HMAC-SHA-256-128 (RFC 2410, RFC 4868); authentication only (RFC 7402 §3.3.5).</summary>
    NullHmacSha256 = 7,

    /// <summary>AES-128-CBC with HMAC-SHA-256-128 (RFC 3602, RFC 4868); the mandatory suite of RFC 7402 §5.1.2.</summary>
    Aes128CbcHmacSha256 = 8,

    /// <summary>AES-256-CBC with HMAC-SHA-256-128 (RFC 3602, RFC 4868).</summary>
    Aes256CbcHmacSha256 = 9,

    /// <summary>AES-GCM with a 16-octet ICV (RFC 4106); the AES key length is local configuration, see <see cref="EspTransform"/>.</summary>
    AesGcm16 = 13,
}
