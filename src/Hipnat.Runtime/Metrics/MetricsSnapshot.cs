using Hipnat.Core.Association;
using Hipnat.Core.Host;
using Hipnat.Wire.Parameters;

namespace Hipnat.Runtime.Metrics;

/// <summary>
/// The daemon's numbers at one moment, taken on the driver thread (the only thread that may read the core) and
/// read by the observable instruments of <see cref="DaemonMetrics"/> on whichever thread collects them.
/// </summary>
public sealed class MetricsSnapshot
{
    public static readonly DropReason[] DropReasons = Enum.GetValues<DropReason>();

    public static readonly AssociationState[] States = Enum.GetValues<AssociationState>();

    public static readonly RegistrationType[] Services = [RegistrationType.Rendezvous, RegistrationType.RelayUdpHip, RegistrationType.RelayUdpEsp];

    public long PacketsIn { get; init; }

    public long PacketsOut { get; init; }

    public long Retransmissions { get; init; }

    public long Established { get; init; }

    public long Failed { get; init; }

    public long RelayedControl { get; init; }

    public long EspRelayed { get; init; }

    public long EspRelayedBytes { get; init; }

    public long KeepalivesSent { get; init; }

    public long StunAnswered { get; init; }

    public long ProbesSent { get; init; }

    /// <summary>The responder's puzzle difficulty #K now (RFC 7401 §4.1.1; it rises with the I2 load).</summary>
    public int PuzzleDifficulty { get; init; }

    /// <summary>I2s received, and those that reached Diffie-Hellman work.</summary>
    public long I2Received { get; init; }

    public long I2DhComputations { get; init; }

    /// <summary>HIP control and ESP relayed through our TURN allocations, and their octets.</summary>
    public long TurnControlPacketsOut { get; init; }

    public long TurnControlPacketsIn { get; init; }

    public long TurnEspPacketsOut { get; init; }

    public long TurnEspPacketsIn { get; init; }

    public long TurnBytesOut { get; init; }

    public long TurnBytesIn { get; init; }

    /// <summary>TURN allocations held now (relayed candidates).</summary>
    public int TurnAllocations { get; init; }

    /// <summary>Core drops, indexed by <see cref="DropReason"/>.</summary>
    public long[] Drops { get; init; } = new long[DropReasons.Length];

    /// <summary>Datagrams dropped before the core: the driver's queue was full.</summary>
    public long QueueDropped { get; init; }

    public long TransportBadChecksum { get; init; }

    public long TransportMalformed { get; init; }

    public long TransportReceived { get; init; }

    public long TransportSent { get; init; }

    public long TransportSendErrors { get; init; }

    public long TransportReceiveErrors { get; init; }

    /// <summary>Host associations, indexed by <see cref="AssociationState"/>.</summary>
    public int[] AssociationsByState { get; init; } = new int[States.Length];

    /// <summary>Our granted registrations (client side), indexed like <see cref="Services"/>.</summary>
    public int[] ClientRegistrations { get; init; } = new int[Services.Length];

    /// <summary>Clients registered with us per service (registrar side), indexed like <see cref="Services"/>.</summary>
    public int[] ServerRegistrations { get; init; } = new int[Services.Length];

    public int RegisteredClients { get; init; }

    public int RelayedPortsOpen { get; init; }

    public double UptimeSeconds { get; init; }
}
