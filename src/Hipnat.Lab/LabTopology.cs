using System.Net;

namespace Hipnat.Lab;

/// <summary>
/// A declarative description of a lab, built in declaration order by <see cref="NetworkLab.Create(LabTopology, LabOptions?)"/>
/// or <see cref="Build"/>. A host's segment is named either by a segment's name or by a NAT's name (meaning the NAT's
/// inside segment, <c>NAT-lan</c>).
/// </summary>
/// <example>
/// <code>
/// var topology = new LabTopology()
///     .Segment("public", "203.0.113.0/24")
///     .Host("relay", "public")
///     .Nat("nat1", "public", "198.18.1.0/24")
///     .Nat("nat2", "public", "198.18.2.0/24", NatOptions.Symmetric)
///     .Host("alice", "nat1")
///     .Host("bob", "nat2");
/// await using var lab = topology.Build();
/// </code>
/// </example>
public sealed class LabTopology
{
    private readonly List<Action<NetworkLab>> steps = [];
    private readonly List<string> description = [];

    /// <summary>The declarations so far, one line each, for messages.</summary>
    public IReadOnlyList<string> Description => description;

    /// <summary>Declares a segment with an IPv4 prefix from the lab's ranges.</summary>
    public LabTopology Segment(string name, string prefix)
    {
        var parsed = IPNetwork.Parse(prefix);
        return Add($"segment {name} {parsed}", lab => lab.AddSegment(name, parsed));
    }

    /// <summary>Declares a host on a segment (or behind a NAT, by the NAT's name), optionally at a fixed address.</summary>
    public LabTopology Host(string name, string segmentOrNat, string? address = null)
    {
        var parsed = address is null ? null : IPAddress.Parse(address);
        return Add($"host {name} on {segmentOrNat}{(address is null ? string.Empty : " at " + address)}", lab => lab.AddHost(name, Resolve(lab, segmentOrNat), parsed));
    }

    /// <summary>Declares a router joining segments.</summary>
    public LabTopology Router(string name, params string[] segments) =>
        Add($"router {name} on {string.Join(", ", segments)}", lab => lab.AddRouter(name, [.. segments.Select(s => Resolve(lab, s))]));

    /// <summary>Declares a NAT whose outside is on <paramref name="outside"/> and whose inside segment gets <paramref name="insidePrefix"/>.</summary>
    public LabTopology Nat(string name, string outside, string insidePrefix, NatOptions? options = null, string? publicAddress = null)
    {
        var parsed = publicAddress is null ? null : IPAddress.Parse(publicAddress);
        return Add(
            $"nat {name} {outside} -> {insidePrefix} ({(options ?? NatOptions.PortRestrictedCone).Mapping}, {(options ?? NatOptions.PortRestrictedCone).Filtering})",
            lab => lab.AddNat(name, Resolve(lab, outside), insidePrefix, options, parsed));
    }

    /// <summary>Creates a lab and builds this topology in it.</summary>
    public NetworkLab Build(LabOptions? options = null) => NetworkLab.Create(this, options);

    /// <inheritdoc />
    public override string ToString() => string.Join("; ", description);

    internal void BuildInto(NetworkLab lab)
    {
        foreach (var step in steps)
        {
            step(lab);
        }
    }

    private static LabSegment Resolve(NetworkLab lab, string segmentOrNat)
    {
        if (lab.Segments.TryGetValue(segmentOrNat, out var segment))
        {
            return segment;
        }

        if (lab.Nats.TryGetValue(segmentOrNat, out var nat))
        {
            return nat.InsideSegment;
        }

        throw new KeyNotFoundException($"no segment or NAT called {segmentOrNat} has been declared before its use");
    }

    private LabTopology Add(string what, Action<NetworkLab> step)
    {
        description.Add(what);
        steps.Add(step);
        return this;
    }
}
