using Hipnat.Core.Transport;
using Hipnat.DataPlane.Esp;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// What the core says about one SA pair of an association for the multihoming policies: its inbound SPI, whether it
/// is the primary pair (it follows the active locator pair and the peer's route), the locator pair a bound pair
/// belongs to, that path's measured round-trip time, and whether the path may carry data (not failed).
/// </summary>
public readonly record struct LaneSpec(uint InboundSpi, bool Primary, TransportAddress Local, TransportAddress Remote, TimeSpan Rtt, bool Usable);

/// <summary>One SA pair and where its packets go. The primary lane has neither: it uses the active SA pair and the
/// peer's route of the moment. Immutable.</summary>
internal sealed class SaLane(uint inboundSpi, EspSaPair? pair, EspRoute? route)
{
    public uint InboundSpi { get; } = inboundSpi;

    /// <summary>The bound SA pair; null for the primary lane.</summary>
    public EspSaPair? Pair { get; } = pair;

    /// <summary>The bound locator pair's route; null for the primary lane.</summary>
    public EspRoute? Route { get; } = route;
}

/// <summary>
/// A peer's SA lanes and, with the load-balance policy, the bucket table that maps a flow hash to a lane
/// (<see cref="FlowSpreader"/>). Published whole by the driver thread, read lock-free by the TUN thread.
/// </summary>
internal sealed class SaLaneSet(SaLane[] lanes, byte[]? table, double[] weights)
{
    public SaLane[] Lanes { get; } = lanes;

    /// <summary>Bucket → lane index; null: every packet takes the primary lane (failover, hot-standby, or one usable lane).</summary>
    public byte[]? Table { get; } = table;

    /// <summary>The weights the table was built from (a rebuild is skipped while they barely change).</summary>
    public double[] Weights { get; } = weights;

    /// <summary>The lane of a flow (TUN thread; no allocation).</summary>
    public SaLane Pick(uint flowHash) => Table is { } t ? Lanes[t[FlowSpreader.Bucket(flowHash)]] : Lanes[0];

    /// <summary>ESP from <paramref name="from"/> belongs to one of the bound paths (receive threads; no allocation).</summary>
    public bool IsBoundSource(in TransportAddress from)
    {
        foreach (var lane in Lanes)
        {
            if (lane.Route is { } r && r.Remote == from)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The share of flows lane <paramref name="index"/> gets (0-1).</summary>
    public double Share(int index)
    {
        if (Table is not { } t)
        {
            return index == 0 ? 1 : 0;
        }

        int n = 0;
        foreach (byte b in t)
        {
            n += b == index ? 1 : 0;
        }

        return n / (double)FlowSpreader.Buckets;
    }
}
