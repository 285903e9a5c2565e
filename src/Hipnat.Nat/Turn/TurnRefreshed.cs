namespace Hipnat.Nat.Turn;

/// <summary>A Refresh succeeded; the allocation now lives <see cref="Lifetime"/> more (RFC 8656 §8.3).</summary>
public sealed record TurnRefreshed(TimeSpan Lifetime) : TurnEvent;
