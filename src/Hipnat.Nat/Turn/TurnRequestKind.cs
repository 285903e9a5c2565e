namespace Hipnat.Nat.Turn;

/// <summary>The TURN request/response methods a <see cref="TurnClient"/> issues (RFC 8656 §17).</summary>
internal enum TurnRequestKind
{
    Allocate,
    Refresh,
    CreatePermission,
    ChannelBind,
}
