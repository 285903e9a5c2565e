namespace Hipnat.Nat.Stun;

/// <summary>
/// The 12-bit STUN method (RFC 8489 §5, §18.2): Binding, and the TURN methods of RFC 8656 §17.
/// Other values may appear on the wire; they are kept as-is.
/// </summary>
public enum StunMethod : ushort
{
    Binding = 0x001,

    /// <summary>TURN Allocate: request/response only (RFC 8656 §17).</summary>
    Allocate = 0x003,

    /// <summary>TURN Refresh: request/response only.</summary>
    Refresh = 0x004,

    /// <summary>TURN Send: indication only.</summary>
    Send = 0x006,

    /// <summary>TURN Data: indication only.</summary>
    Data = 0x007,

    /// <summary>TURN CreatePermission: request/response only.</summary>
    CreatePermission = 0x008,

    /// <summary>TURN ChannelBind: request/response only.</summary>
    ChannelBind = 0x009,
}
