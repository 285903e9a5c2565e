using Hipnat.Core.Transport;

namespace Hipnat.Core.Association;

/// <summary>
/// An association's simultaneous-multihoming bookkeeping (RFC 8047 §4.2.4; draft-melen-hip-nat-mm §4): the UPDATE
/// that is opening an SA pair for one further interface, and the interfaces already tried. The SA pairs themselves
/// live in <see cref="HostAssociation.SaPairs"/> with their binding.
/// </summary>
internal sealed class MultihomingState
{
    /// <summary>UPDATE ID of the outstanding ESP_INFO Old SPI 0 UPDATE, or null.</summary>
    public uint? PendingUpdateId { get; set; }

    /// <summary>The locator pair that UPDATE travels on and the new SA pair will be bound to.</summary>
    public (TransportAddress Local, TransportAddress Peer) PendingPath { get; set; }

    /// <summary>Local addresses (interfaces) an SA pair was asked for; one attempt each until the interface set changes.</summary>
    public HashSet<System.Net.IPAddress> Tried { get; } = [];

    /// <summary>When to look again for a further interface to open an SA pair for (while ICE has not selected the
    /// primary path yet); MaxValue: not armed.</summary>
    public TimeSpan ProbeDue { get; set; } = TimeSpan.MaxValue;

    /// <summary>The ICE selection <see cref="Tried"/> belongs to.</summary>
    public Ice.CandidatePair? ProbedFor { get; set; }

    /// <summary>True while <paramref name="updateId"/> is the outstanding multihoming UPDATE.</summary>
    public bool IsPending(uint? updateId) => updateId is uint id && PendingUpdateId == id;
}
