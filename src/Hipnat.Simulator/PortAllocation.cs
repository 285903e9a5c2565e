namespace Hipnat.Simulator;

/// <summary>How a NAT chooses an external port when it does not (or cannot) preserve the internal one.</summary>
public enum PortAllocation
{
    /// <summary>The next free port after the last one allocated, wrapping within the range.</summary>
    Sequential,

    /// <summary>A free port drawn from the NAT's seeded random stream.</summary>
    Random,
}
