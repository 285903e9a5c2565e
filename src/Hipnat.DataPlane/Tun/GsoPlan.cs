namespace Hipnat.DataPlane.Tun;

/// <summary>
/// How a super-segment read from a TUN device is cut (<see cref="GsoSegmenter.TryPlan"/>): header lengths measured
/// from the packet itself, the payload octets per segment and the number of segments.
/// </summary>
public readonly record struct GsoPlan(
    bool Ipv6, byte Protocol, int IpHeaderLength, int HeaderLength, int SegmentPayload, int PayloadLength, int Count)
{
    /// <summary>Length of segment <paramref name="index"/> (headers included).</summary>
    public int SegmentLength(int index) =>
        HeaderLength + Math.Min(SegmentPayload, PayloadLength - (index * SegmentPayload));

    /// <summary>The longest segment.</summary>
    public int MaxSegmentLength => HeaderLength + Math.Min(SegmentPayload, PayloadLength);
}
