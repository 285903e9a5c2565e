namespace Hipnat.Nat.Stun;

/// <summary>
/// The 24-bit STUN Security Features set (RFC 8489 §18.1). Bit 0 is the most significant bit of the first
/// octet, so it is 0x800000 here.
/// </summary>
[Flags]
public enum StunSecurityFeatures
{
    None = 0,

    /// <summary>Bit 0: the server offers PASSWORD-ALGORITHMS (RFC 8489 §9.2.1).</summary>
    PasswordAlgorithms = 0x800000,

    /// <summary>Bit 1: the server supports USERHASH (RFC 8489 §9.2.1).</summary>
    UsernameAnonymity = 0x400000,
}
