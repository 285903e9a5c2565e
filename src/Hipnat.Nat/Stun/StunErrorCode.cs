namespace Hipnat.Nat.Stun;

/// <summary>
/// ERROR-CODE value (RFC 8489 §14.8): a code 300-699 (class = hundreds digit 3-6, number 0-99) and a
/// UTF-8 reason phrase of fewer than 128 characters. Well-known codes from RFC 8489 §14.8, RFC 8445 §16.2 and
/// RFC 8656 §19 are constants here.
/// </summary>
public readonly record struct StunErrorCode(int Code, string Reason)
{
    public const int TryAlternate = 300;
    public const int BadRequest = 400;
    public const int Unauthenticated = 401;
    public const int Forbidden = 403;
    public const int UnknownAttribute = 420;
    public const int AllocationMismatch = 437;
    public const int StaleNonce = 438;
    public const int AddressFamilyNotSupported = 440;
    public const int WrongCredentials = 441;
    public const int UnsupportedTransportProtocol = 442;
    public const int PeerAddressFamilyMismatch = 443;
    public const int AllocationQuotaReached = 486;
    public const int RoleConflict = 487;
    public const int ServerError = 500;
    public const int InsufficientCapacity = 508;

    /// <summary>The class field: the hundreds digit (RFC 8489 §14.8).</summary>
    public int Class => Code / 100;

    /// <summary>The number field: the code modulo 100.</summary>
    public int Number => Code % 100;

    /// <summary>True for codes the ERROR-CODE attribute can carry: class 3-6, number 0-99.</summary>
    public static bool IsValidCode(int code) => code is >= 300 and <= 699;

    public override string ToString() => $"{Code} {Reason}";

    /// <summary>The recommended reason phrase for a code, or "Error".</summary>
    public static string DefaultReason(int code) => code switch
    {
        TryAlternate => "Try Alternate",
        BadRequest => "Bad Request",
        Unauthenticated => "Unauthenticated",
        Forbidden => "Forbidden",
        UnknownAttribute => "Unknown Attribute",
        AllocationMismatch => "Allocation Mismatch",
        StaleNonce => "Stale Nonce",
        AddressFamilyNotSupported => "Address Family not Supported",
        WrongCredentials => "Wrong Credentials",
        UnsupportedTransportProtocol => "Unsupported Transport Protocol",
        PeerAddressFamilyMismatch => "Peer Address Family Mismatch",
        AllocationQuotaReached => "Allocation Quota Reached",
        RoleConflict => "Role Conflict",
        ServerError => "Server Error",
        InsufficientCapacity => "Insufficient Capacity",
        _ => "Error",
    };
}
