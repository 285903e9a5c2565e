using System.Net;

namespace Hipnat.Nat.Turn;

/// <summary>
/// The server made an allocation (RFC 8656 §7.3): the relayed transport address peers send to, the client's
/// server-reflexive (mapped) address, and the lifetime granted.
/// </summary>
public sealed record TurnAllocated(IPEndPoint RelayedAddress, IPEndPoint MappedAddress, TimeSpan Lifetime) : TurnEvent
{
    /// <summary>Every XOR-RELAYED-ADDRESS (two for a dual-stack allocation).</summary>
    public IReadOnlyList<IPEndPoint> RelayedAddresses { get; init; } = [RelayedAddress];
}
