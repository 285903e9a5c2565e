namespace Hipnat.DataPlane.Esp;

/// <summary>How an ESP transform protects the payload (RFC 4303 §3.2).</summary>
public enum EspCipherKind
{
    /// <summary>No confidentiality: NULL encryption (RFC 2410) with a separate integrity algorithm.</summary>
    Null,

    /// <summary>AES-CBC (RFC 3602) with a separate integrity algorithm, encrypt-then-MAC (RFC 4303 §3.3.2.1).</summary>
    AesCbc,

    /// <summary>AES-GCM, a combined mode algorithm (RFC 4106, RFC 4303 §3.3.2.2).</summary>
    AesGcm,
}
