namespace Hipnat.Nat.Stun;

/// <summary>STUN Password Algorithms registry (RFC 8489 §18.5).</summary>
public enum StunPasswordAlgorithm : ushort
{
    Reserved = 0x0000,

    /// <summary>16-octet key MD5(username ":" realm ":" password); legacy (RFC 8489 §18.5.1.1).</summary>
    Md5 = 0x0001,

    /// <summary>32-octet key SHA-256(username ":" realm ":" password) (RFC 8489 §18.5.1.2).</summary>
    Sha256 = 0x0002,
}
