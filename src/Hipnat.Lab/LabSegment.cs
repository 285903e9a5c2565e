using System.Buffers.Binary;
using System.Net;

namespace Hipnat.Lab;

/// <summary>
/// A layer-2 segment: a Linux bridge inside the lab's switch namespace (<c>hn-ID</c>). Every interface on it is one
/// veth pair, one end in its node's namespace and the other a port of this bridge, so segments can hold any number of
/// hosts, links can be cut and impaired on the switch side, and an interface moves to another segment by re-plugging
/// its port into another bridge. The prefix must lie in 203.0.113.0/24, 198.51.100.0/24, 192.0.2.0/24 or 198.18.0.0/15.
/// </summary>
public sealed class LabSegment
{
    private const int FirstHostOffset = 10;
    private readonly HashSet<uint> used = [];
    private readonly List<LabInterface> interfaces = [];

    internal LabSegment(NetworkLab lab, string name, IPNetwork prefix, string bridgeName)
    {
        Lab = lab;
        Name = name;
        Prefix = prefix;
        BridgeName = bridgeName;
    }

    /// <summary>The lab the segment belongs to.</summary>
    public NetworkLab Lab { get; }

    /// <summary>The segment's name in the lab.</summary>
    public string Name { get; }

    /// <summary>The IPv4 prefix of the segment.</summary>
    public IPNetwork Prefix { get; }

    /// <summary>The bridge device in the switch namespace.</summary>
    public string BridgeName { get; }

    /// <summary>The router or NAT address hosts attached to this segment use as their default route; null if none.</summary>
    public IPAddress? Gateway { get; internal set; }

    /// <summary>The NAT whose inside network this segment is, if any.</summary>
    public LabNat? Nat { get; internal set; }

    /// <summary>The interfaces currently plugged into this segment.</summary>
    public IReadOnlyList<LabInterface> Interfaces
    {
        get
        {
            lock (Lab.Sync)
            {
                return [.. interfaces];
            }
        }
    }

    /// <summary>True when <paramref name="address"/> is inside the segment's prefix.</summary>
    public bool Contains(IPAddress address) => Prefix.Contains(address);

    /// <summary>A free host address of the segment (from .10 upwards on a /24), reserved until an interface releases it.</summary>
    public IPAddress AllocateAddress()
    {
        lock (Lab.Sync)
        {
            return Allocate(infrastructure: false);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Prefix})";

    internal void Attach(LabInterface nic) => interfaces.Add(nic);

    internal void Detach(LabInterface nic) => interfaces.Remove(nic);

    /// <summary>Routers and NATs take addresses from .1 upwards, hosts from .10 upwards (or .1 on small prefixes).</summary>
    internal IPAddress Allocate(bool infrastructure)
    {
        var (first, last) = HostRange();
        var start = infrastructure || last - first < 2 * FirstHostOffset ? first : first + FirstHostOffset - 1;
        for (var candidate = start; candidate <= last; candidate++)
        {
            if (used.Add(candidate))
            {
                return ToAddress(candidate);
            }
        }

        throw new InvalidOperationException($"segment {Name} ({Prefix}) has no free address left");
    }

    internal void Claim(IPAddress address)
    {
        var (first, last) = HostRange();
        var value = ToUInt(address);
        if (!Contains(address) || value < first || value > last)
        {
            throw new ArgumentException($"{address} is not a host address of segment {Name} ({Prefix})", nameof(address));
        }

        if (!used.Add(value))
        {
            throw new ArgumentException($"{address} is already in use on segment {Name}", nameof(address));
        }
    }

    internal void Release(IPAddress address) => used.Remove(ToUInt(address));

    private (uint First, uint Last) HostRange()
    {
        var network = ToUInt(Prefix.BaseAddress);
        var size = 1u << (32 - Prefix.PrefixLength);
        return (network + 1, network + size - 2);
    }

    private static uint ToUInt(IPAddress address) => BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    private static IPAddress ToAddress(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }
}
