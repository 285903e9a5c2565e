namespace Hipnat.Simulator;

internal enum SimEventKind : byte
{
    /// <summary>A packet arrives at a host interface.</summary>
    Deliver,

    /// <summary>A packet arrives at a NAT's inside (gateway) side.</summary>
    NatOutbound,

    /// <summary>A packet arrives at one of a NAT's public addresses.</summary>
    NatInbound,

    /// <summary>A node's timer entry comes due.</summary>
    Timer,

    /// <summary>A scenario action scheduled with <see cref="Simulation.Schedule"/>.</summary>
    Action,
}
