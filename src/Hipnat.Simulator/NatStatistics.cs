using System.Globalization;

namespace Hipnat.Simulator;

/// <summary>Counters of one <see cref="NatBox"/>.</summary>
public sealed class NatStatistics
{
    private readonly NatBox _nat;

    internal NatStatistics(NatBox nat) => _nat = nat;

    /// <summary>Mappings created so far.</summary>
    public long MappingsCreated { get; internal set; }

    /// <summary>Mappings discarded because they timed out (counted when the NAT notices).</summary>
    public long MappingsExpired { get; internal set; }

    /// <summary>Mappings currently alive (expired ones are purged first).</summary>
    public int ActiveMappings => _nat.ActiveMappingCount;

    /// <summary>Inside-to-outside packets translated.</summary>
    public long OutboundTranslated { get; internal set; }

    /// <summary>Outside-to-inside packets translated.</summary>
    public long InboundTranslated { get; internal set; }

    /// <summary>Inside-to-inside packets looped back through a public mapping.</summary>
    public long Hairpinned { get; internal set; }

    /// <summary>Inbound packets with no live mapping.</summary>
    public long DroppedNoMapping { get; internal set; }

    /// <summary>Inbound packets rejected by filtering.</summary>
    public long DroppedFiltered { get; internal set; }

    /// <summary>Hairpin packets dropped because hairpinning is off.</summary>
    public long DroppedHairpin { get; internal set; }

    /// <summary>Outbound packets dropped because no external port was free.</summary>
    public long DroppedPortExhausted { get; internal set; }

    /// <summary>Unsolicited inbound entries recorded (<see cref="NatBehavior.KeepsUnsolicitedState"/>).</summary>
    public long UnsolicitedEntries { get; internal set; }

    /// <summary>Outbound flows moved to another external port because an unsolicited entry held their tuple.</summary>
    public long PortCollisions { get; internal set; }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"mappings={ActiveMappings} created={MappingsCreated} expired={MappingsExpired} out={OutboundTranslated} in={InboundTranslated} hairpin={Hairpinned} noMapping={DroppedNoMapping} filtered={DroppedFiltered} unsolicited={UnsolicitedEntries} collisions={PortCollisions}");
}
