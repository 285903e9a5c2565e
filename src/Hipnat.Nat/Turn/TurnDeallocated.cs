namespace Hipnat.Nat.Turn;

/// <summary>The allocation was deleted with a LIFETIME 0 Refresh (or was already gone: 437, RFC 8656 §8.3).</summary>
public sealed record TurnDeallocated : TurnEvent;
