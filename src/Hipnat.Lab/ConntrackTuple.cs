using System.Net;

namespace Hipnat.Lab;

/// <summary>One direction of a conntrack entry.</summary>
/// <param name="Source">Source address.</param>
/// <param name="Destination">Destination address.</param>
/// <param name="SourcePort">Source port (0 for protocols without ports).</param>
/// <param name="DestinationPort">Destination port (0 for protocols without ports).</param>
public readonly record struct ConntrackTuple(IPAddress Source, IPAddress Destination, int SourcePort, int DestinationPort)
{
    /// <inheritdoc />
    public override string ToString() => $"{Source}:{SourcePort} -> {Destination}:{DestinationPort}";
}
