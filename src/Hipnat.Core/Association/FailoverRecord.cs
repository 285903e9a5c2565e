namespace Hipnat.Core.Association;

/// <summary>The last time an association's traffic moved off its active pair because that pair failed (or came back
/// to it), as status shows it.</summary>
public sealed record FailoverRecord(TimeSpan At, string From, string To, string Reason, bool Failback);
