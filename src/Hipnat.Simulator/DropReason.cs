namespace Hipnat.Simulator;

/// <summary>Why the simulated network discarded a packet.</summary>
public enum DropReason
{
    /// <summary>Not dropped.</summary>
    None = 0,

    /// <summary>Random loss on a link.</summary>
    Loss,

    /// <summary>No host, NAT or gateway in the realm for the destination address.</summary>
    NoRoute,

    /// <summary>The destination address was removed or moved while the packet was in flight.</summary>
    AddressGone,

    /// <summary>The sender does not own the source address it used.</summary>
    SourceNotOwned,

    /// <summary>The sending or receiving interface is administratively down.</summary>
    LinkDown,

    /// <summary>Inbound at a NAT with no live mapping for the destination.</summary>
    NoMapping,

    /// <summary>Inbound at a NAT rejected by its filtering behaviour.</summary>
    Filtered,

    /// <summary>Inside-to-public-address packet at a NAT with hairpinning off.</summary>
    HairpinDisabled,

    /// <summary>The NAT had no free external port for a new mapping.</summary>
    PortExhausted,

    /// <summary>The packet crossed too many NATs (a routing loop).</summary>
    HopLimit,
}
