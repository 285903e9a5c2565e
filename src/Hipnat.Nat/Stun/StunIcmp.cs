namespace Hipnat.Nat.Stun;

/// <summary>
/// ICMP attribute value (RFC 8656 §18.13): the ICMP type and code a TURN server relays in a Data indication,
/// and the 4-octet error data (the next-hop MTU for "packet too big" / "fragmentation needed").
/// </summary>
public readonly record struct StunIcmp(byte Type, byte Code, uint ErrorData);
