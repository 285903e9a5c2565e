namespace Hipnat.Nat.Stun;

/// <summary>Address family octet of the address attributes (RFC 8489 §14.1) and of RFC 8656 §18.6/§18.11/§18.12.</summary>
public enum StunAddressFamily : byte
{
    None = 0,
    IPv4 = 0x01,
    IPv6 = 0x02,
}
