namespace Hipnat.Simulator;

/// <summary>What happened to a packet in a <see cref="TraceRecord"/>.</summary>
public enum TraceKind
{
    /// <summary>A node handed the packet to the network.</summary>
    Sent,

    /// <summary>The packet reached a node.</summary>
    Delivered,

    /// <summary>The network discarded the packet (see <see cref="TraceRecord.Reason"/>).</summary>
    Dropped,

    /// <summary>A link duplicated the packet; the copy travels independently.</summary>
    Duplicated,

    /// <summary>A NAT rewrote the packet's addresses.</summary>
    Translated,

    /// <summary>A NAT looped an inside packet back to the inside (hairpinning).</summary>
    Hairpinned,

    /// <summary>A NAT created a mapping (Source = internal endpoint, Destination = external endpoint).</summary>
    MappingCreated,

    /// <summary>A NAT discarded an expired mapping (Source = internal endpoint, Destination = external endpoint).</summary>
    MappingExpired,
}
