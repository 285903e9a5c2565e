namespace Hipnat.Nat.Turn;

/// <summary>Something a <see cref="TurnClient"/> reports to its owner, polled with <see cref="TurnClient.TryPollEvent"/>.</summary>
public abstract record TurnEvent;
