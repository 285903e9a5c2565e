namespace Hipnat.Crypto;

/// <summary>Cipher IDs of the HIP_CIPHER parameter, used for the ENCRYPTED parameter (RFC 7401 §5.2.8).</summary>
public enum HipCipherId : ushort
{
    Reserved = 0,

    /// <summary>NULL-ENCRYPT (RFC 2410): testing/debugging only, never offered unless configured.</summary>
    NullEncrypt = 1,

    /// <summary>AES-128-CBC (RFC 3602). Mandatory to implement.</summary>
    Aes128Cbc = 2,

    /// <summary>Unused value.</summary>
    Reserved3 = 3,

    /// <summary>AES-256-CBC (RFC 3602).</summary>
    Aes256Cbc = 4,
}
