namespace Hipnat.Runtime.Control;

/// <summary>Packet counters of the core and the transports.</summary>
public sealed class CountersReport
{
    public long PacketsIn { get; set; }

    public long PacketsOut { get; set; }

    public long Retransmissions { get; set; }

    public long Established { get; set; }

    public long Failed { get; set; }

    public long Dropped { get; set; }

    /// <summary>Core drops by reason (only non-zero ones).</summary>
    public Dictionary<string, long> Drops { get; set; } = [];

    public long TransportReceived { get; set; }

    public long TransportSent { get; set; }

    public long TransportSendErrors { get; set; }

    public long TransportReceiveErrors { get; set; }

    /// <summary>Raw HIP packets dropped by the transport for a bad pseudo-header checksum.</summary>
    public long TransportBadChecksum { get; set; }

    public long TransportMalformed { get; set; }

    /// <summary>Datagrams dropped because the driver thread fell behind.</summary>
    public long QueueDropped { get; set; }

    /// <summary>The part of <see cref="QueueDropped"/> that were I1 and I2 (their queue is small and served last).</summary>
    public long QueueDroppedBaseExchange { get; set; }

    /// <summary>HIP control packets relayed for registered clients (relay / rendezvous).</summary>
    public long Relayed { get; set; }

    /// <summary>ESP packets and octets forwarded by the data relay.</summary>
    public long EspRelayed { get; set; }

    public long EspRelayedBytes { get; set; }

    public long KeepalivesSent { get; set; }

    public long StunAnswered { get; set; }

    /// <summary>Puzzle difficulty #K the responder currently puts in R1 (rises under load).</summary>
    public int PuzzleDifficulty { get; set; }

    /// <summary>I2s that reached Diffie-Hellman work within the responder's load window.</summary>
    public int I2WorkInWindow { get; set; }

    public long I2Received { get; set; }

    /// <summary>I2s whose puzzle solution was spent on Diffie-Hellman (at most once per solution).</summary>
    public long I2DhComputations { get; set; }

    /// <summary>Direct-path probes sent after relayed base exchanges.</summary>
    public long ProbesSent { get; set; }

    /// <summary>Times the active path fell silent while traffic flowed and was probed (draft-melen-hip-nat-mm §5.2);
    /// each sends a copy of its echo through the control relay.</summary>
    public long PathsSuspected { get; set; }

    /// <summary>HIP control and ESP datagrams relayed through our TURN allocations (RFC 8656), out and in, and their octets (without TURN framing).</summary>
    public long TurnPacketsOut { get; set; }

    public long TurnPacketsIn { get; set; }

    public long TurnBytesOut { get; set; }

    public long TurnBytesIn { get; set; }

    /// <summary>The ESP part of <see cref="TurnPacketsOut"/> and <see cref="TurnPacketsIn"/>.</summary>
    public long TurnEspPacketsOut { get; set; }

    public long TurnEspPacketsIn { get; set; }

    /// <summary>Unexpected exceptions caught while handling a datagram or timer (each logged).</summary>
    public long HandlerExceptions { get; set; }

    /// <summary>Unexpected exceptions in steps of the driver loop, by step (the loop carried on after each).</summary>
    public Dictionary<string, long> StepFailures { get; set; } = [];
}
