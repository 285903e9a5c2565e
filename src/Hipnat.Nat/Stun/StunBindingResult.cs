using System.Net;

namespace Hipnat.Nat.Stun;

/// <summary>
/// The end of one Binding transaction: the server asked, the reflexive transport address it saw (on success) or a
/// typed failure, the RTT of an unretransmitted exchange, and how many requests went out.
/// </summary>
public sealed record StunBindingResult(
    StunTransactionId TransactionId,
    IPEndPoint Server,
    StunBindingOutcome Outcome,
    IPEndPoint? MappedAddress,
    StunErrorCode? Error,
    TimeSpan Elapsed,
    int Transmissions)
{
    public bool Succeeded => Outcome == StunBindingOutcome.Success;

    /// <summary>SOFTWARE of the response, if any.</summary>
    public string? ServerSoftware { get; init; }

    /// <summary>ALTERNATE-SERVER of a 300 response, if any (RFC 8489 §10).</summary>
    public IPEndPoint? AlternateServer { get; init; }

    /// <summary>Attributes an error 420 listed (RFC 8489 §14.13), or those the client did not understand.</summary>
    public IReadOnlyList<ushort> UnknownAttributes { get; init; } = [];

    public override string ToString() => Succeeded
        ? $"{Server}: mapped {MappedAddress} in {Elapsed.TotalMilliseconds:F0} ms"
        : $"{Server}: {Outcome}{(Error is { } e ? " " + e : string.Empty)}";
}
