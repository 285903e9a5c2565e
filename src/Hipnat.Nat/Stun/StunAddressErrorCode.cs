namespace Hipnat.Nat.Stun;

/// <summary>
/// ADDRESS-ERROR-CODE value (RFC 8656 §18.12): why the server did not allocate one requested family
/// (440 Address Family not Supported or 508 Insufficient Capacity).
/// </summary>
public readonly record struct StunAddressErrorCode(StunAddressFamily Family, int Code, string Reason);
