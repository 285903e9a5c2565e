namespace Hipnat.Core.Host;

/// <summary>Plain counters kept by the core (read by status, metrics and tests). Not thread-safe: owned by the driver thread.</summary>
public sealed class HipCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];

    public long PacketsIn { get; internal set; }

    public long PacketsOut { get; internal set; }

    public long Retransmissions { get; internal set; }

    public long Established { get; internal set; }

    /// <summary>Control packets forwarded for registered clients (relay / rendezvous).</summary>
    public long Relayed { get; internal set; }

    public long KeepalivesSent { get; internal set; }

    public long StunAnswered { get; internal set; }

    /// <summary>ESP packets and octets forwarded by the data relay.</summary>
    public long EspRelayed { get; internal set; }

    public long EspRelayedBytes { get; internal set; }

    public long ProbesSent { get; internal set; }

    /// <summary>ICE connectivity checks sent (UPDATE or STUN, retransmissions and nominations included).</summary>
    public long IceChecksSent { get; internal set; }

    public long IceChecksReceived { get; internal set; }

    /// <summary>Peer candidates refused by the per-association bound.</summary>
    public long IceCandidatesDropped { get; internal set; }

    /// <summary>Associations whose every candidate pair failed (CONNECTIVITY_CHECKS_FAILED sent).</summary>
    public long IceFailures { get; internal set; }

    public long IceSelections { get; internal set; }

    /// <summary>Our locator set changed (handovers started as the mobile host).</summary>
    public long LocalLocatorChanges { get; internal set; }

    /// <summary>Handovers started (ours and the peers'), and those that reached a working path again.</summary>
    public long HandoversStarted { get; internal set; }

    public long HandoversCompleted { get; internal set; }

    /// <summary>ICE restarted with a new checklist after a handover (RFC 9028 §4.9).</summary>
    public long IceRestarts { get; internal set; }

    /// <summary>A known peer's authenticated packet or ESP came from a new address, and it was verified.</summary>
    public long PeerAddressChanges { get; internal set; }

    /// <summary>Active pairs replaced by a standby after they failed (hot backup).</summary>
    public long Failovers { get; internal set; }

    /// <summary>Moves to a standby pair because the peer's traffic arrived on it (both directions on one path).</summary>
    public long PathsFollowed { get; internal set; }

    /// <summary>Returns to a recovered pair traffic had failed over from.</summary>
    public long Failbacks { get; internal set; }

    /// <summary>Failures without a standby: candidates gathered again and offered (cold backup).</summary>
    public long ColdBackups { get; internal set; }

    /// <summary>PATH_UNHEARD notifications of the peer acted on: it heard nothing from us on our active pair.</summary>
    public long PeerHearsNothing { get; internal set; }

    /// <summary>PATH_UNHEARD notifications sent through the relay (our active path went silent).</summary>
    public long PathUnheardSent { get; internal set; }

    /// <summary>CONNECTIVITY_CHECKS_FAILED notifications of the peer (every check of its failed).</summary>
    public long PeerChecksFailed { get; internal set; }

    /// <summary>Signed echoes sent to keep standby pairs verified and their NAT state alive.</summary>
    public long StandbyKeepalives { get; internal set; }

    /// <summary>Peer addresses used for data within credit before return routability verified them (RFC 8046 §5.6).</summary>
    public long CreditLimitedPaths { get; internal set; }

    /// <summary>Failed direct pairs checked again while a relayed pair carried the traffic.</summary>
    public long IceDirectRetries { get; internal set; }

    /// <summary>The active path went silent while traffic flowed (or an UPDATE on it went unanswered).</summary>
    public long PathsSuspected { get; internal set; }

    public long StunKeepalivesReceived { get; internal set; }

    /// <summary>UPDATEs we sent that open a multihoming SA pair: ESP_INFO Old SPI 0 with the LOCATOR_SET of one
    /// further interface (RFC 8047 §4.2.4; draft-melen-hip-nat-mm §4: the m + n UPDATEs).</summary>
    public long MultihomingUpdatesSent { get; internal set; }

    /// <summary>Our answers to a peer's multihoming UPDATE: our own ESP_INFO Old SPI 0 and locators.</summary>
    public long MultihomingUpdatesAnswered { get; internal set; }

    public long Failed { get; internal set; }

    /// <summary>I2 packets that reached the responder's processing (valid or not).</summary>
    public long I2Received { get; internal set; }

    /// <summary>I2s whose puzzle solution was spent on Diffie-Hellman and key derivation (at most once per solution).</summary>
    public long I2DhComputations { get; internal set; }

    /// <summary>Puzzle difficulty #K currently put in R1 (RFC 7401 §4.1.1); rises under load.</summary>
    public int PuzzleDifficulty { get; internal set; }

    /// <summary>I2s that reached Diffie-Hellman work within the last load window (the signal that raises #K).</summary>
    public int I2WorkInWindow { get; internal set; }

    /// <summary>Times #K was raised because of load.</summary>
    public long PuzzleRaises { get; internal set; }

    public long DroppedTotal { get; private set; }

    public long Dropped(DropReason reason) => _drops[(int)reason];

    public IEnumerable<KeyValuePair<DropReason, long>> Drops =>
        Enum.GetValues<DropReason>().Select(r => KeyValuePair.Create(r, _drops[(int)r])).Where(kv => kv.Value != 0);

    internal void Drop(DropReason reason)
    {
        _drops[(int)reason]++;
        DroppedTotal++;
    }
}
