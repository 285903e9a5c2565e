using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Wire;

namespace Hipnat.Core.Association;

/// <summary>
/// All state of one host association (RFC 7401 §4.4): the state machine position, the peer's identity, the
/// keys from KEYMAT, the sets of local and peer locators with their pairs, the ESP SA pairs, and the
/// retransmission and UPDATE bookkeeping. Owned by <see cref="Host.HipHost"/>; only created or changed after
/// the packet that causes it passed its MAC and signature checks.
/// </summary>
internal sealed class HostAssociation
{
    public HostAssociation(Hit localHit, Hit peerHit, TimeSpan now)
    {
        LocalHit = localHit;
        PeerHit = peerHit;
        Created = now;
        StateSince = now;
        ReplayAnswers = new Limits.TokenBucket(ReplayAnswerBurst, now);
        LastSeen = now;
    }

    public Hit LocalHit { get; }

    public Hit PeerHit { get; }

    public AssociationState State { get; set; }

    public TimeSpan StateSince { get; set; }

    public bool IsInitiator { get; set; }

    public TimeSpan Created { get; }

    /// <summary>When the first I1 (initiator) or the accepted I2 (responder) was sent/received.</summary>
    public TimeSpan ExchangeStarted { get; set; }

    public TimeSpan? EstablishedAt { get; set; }

    public TimeSpan LastSeen { get; set; }

    public TimeSpan LastSent { get; set; }

    // ---- peer identity and negotiated suites ----
    public PeerHostIdentity? PeerIdentity { get; set; }

    /// <summary>The responder's HOST_ID TLV exactly as received in R1 (type, length, contents, padding) for HIP_MAC_2 (RFC 7401 §6.4.1).</summary>
    public byte[]? PeerHostIdTlv { get; set; }

    public DhGroupId DhGroup { get; set; }

    public HipCipherId Cipher { get; set; }

    /// <summary>HIT suite whose RHASH keys the association (the Responder's, RFC 7401 §6.4.1).</summary>
    public HitSuite Suite { get; set; }

    public ushort EspSuite { get; set; }

    // ---- keys (RFC 7401 §6.5) ----
    public byte[] OurEncryptionKey { get; set; } = [];

    public byte[] OurIntegrityKey { get; set; } = [];

    public byte[] PeerEncryptionKey { get; set; } = [];

    public byte[] PeerIntegrityKey { get; set; } = [];

    public Keymat? Keymat { get; set; }

    /// <summary>Octets of KEYMAT drawn so far (the KEYMAT Index of ESP_INFO, RFC 7402 §5.1.1).</summary>
    public ushort KeymatIndex { get; set; }

    // ---- base exchange in progress (initiator) ----
    public DhKeyPair? OurDhKey { get; set; }

    public ulong? LastR1Counter { get; set; }

    public byte[] PuzzleI { get; set; } = [];

    public byte[] PuzzleJ { get; set; } = [];

    // ---- locators (RFC 8046 §5; the draft §4) ----
    /// <summary>The peer's locators and ICE candidates: one owner, <see cref="Paths.PeerLocatorSet"/>.</summary>
    public Paths.PeerLocatorSet Peer { get; set; } = new();

    public List<TransportAddress> PeerLocators => Peer.Locators;

    /// <summary>The locator pairs and the active one: one owner, <see cref="Paths.LocatorPairSet"/>.</summary>
    public Paths.LocatorPairSet Paths { get; } = new();

    public List<LocatorPair> Pairs => Paths.All;

    public LocatorPair? ActivePair => Paths.Active;

    // ---- ESP SA pairs (RFC 7402; RFC 8047 multihoming) ----
    public List<EspSaPair> SaPairs { get; } = [];

    /// <summary>Simultaneous multihoming: the UPDATE opening an SA pair for a further interface (RFC 8047 §4.2.4).</summary>
    public MultihomingState Multihoming { get; } = new();

    /// <summary>Inbound SPI we announced during the base exchange (before the SA pair exists).</summary>
    public uint PendingInboundSpi { get; set; }

    // ---- retransmission of the one outstanding I1 / I2 / CLOSE (RFC 7401 §4.4.3) ----
    public byte[]? Pending { get; set; }

    public int PendingLength { get; set; }

    public int Retries { get; set; }

    public TimeSpan RetransmitInterval { get; set; }

    public TimeSpan NextRetransmit { get; set; } = TimeSpan.MaxValue;

    /// <summary>Other timers: R2-SENT hold, CLOSED linger, E-FAILED hold, UAL.</summary>
    public TimeSpan StateDeadline { get; set; } = TimeSpan.MaxValue;

    // ---- UPDATE (RFC 7401 §6.11-6.12) ----
    public uint NextUpdateId { get; set; } = 1;

    public uint? PendingUpdateId { get; set; }

    public byte[]? PendingUpdate { get; set; }

    public int PendingUpdateLength { get; set; }

    public int UpdateRetries { get; set; }

    public TimeSpan UpdateInterval { get; set; }

    public TimeSpan NextUpdateRetransmit { get; set; } = TimeSpan.MaxValue;

    public bool PendingUpdateIsRekey { get; set; }

    public uint PendingRekeyNewSpi { get; set; }

    /// <summary>KEYMAT index our pending rekey announced; both sides draw the new keys there (RFC 7402 §6.9).</summary>
    public ushort PendingRekeyIndex { get; set; }

    /// <summary>Highest peer UPDATE ID processed; a retransmitted SEQ is acknowledged again but not reprocessed.</summary>
    public uint? LastPeerUpdateId { get; set; }

    /// <summary>Our answer to that UPDATE, sent again when its SEQ comes again (RFC 7401 §6.12.1 step 2).</summary>
    public byte[]? LastPeerAnswer { get; set; }

    /// <summary>Answers sent again to UPDATEs already processed (§6.12.1 step 2): a few, then only the drop is
    /// counted, so a replayer gets no stream of ACKs toward an address of its choice.</summary>
    internal Limits.TokenBucket ReplayAnswers;

    /// <summary>Answers to UPDATEs already processed: a burst, then so many per second.</summary>
    public const double ReplayAnswerBurst = 5;

    public const double ReplayAnswersPerSecond = 1;

    /// <summary>NOTIFYs taken in, to refuse them when they come again.</summary>
    public NoticeHistory Notices { get; } = new();

    /// <summary>Serial of the last notice of ours that the peer acts on (in its data, with the SPI it is for).</summary>
    public uint NoticeSerial { get; set; }

    /// <summary>The R2 we sent, resent when the same I2 arrives again (Table 5).</summary>
    public byte[]? CachedR2 { get; set; }

    public int CachedR2Length { get; set; }

    // ---- CLOSE ----
    public byte[]? CloseNonce { get; set; }

    /// <summary>Cached CLOSE_ACK to resend while CLOSED (Table 8).</summary>
    public byte[]? CloseAck { get; set; }

    public int CloseAckLength { get; set; }

    // ---- registration (RFC 8003) ----
    /// <summary>Registrations we asked this peer for (we are the client).</summary>
    public List<Registration.ClientRegistration> ClientRegistrations { get; } = [];

    /// <summary>
    /// Our server-reflexive addresses as this registrar saw them from each of our bases (STUN Binding answers,
    /// draft-melen-hip-nat-mm §5.1 step 3); the one of the base we registered from is the REG_FROM of
    /// <see cref="ClientRegistrations"/>. They describe NAT mappings this registrar's traffic keeps, so they end with
    /// the association.
    /// </summary>
    public List<Ice.IceCandidate> ReflexivePerBase { get; } = [];

    /// <summary>Services to request in the I2 or the next UPDATE.</summary>
    public Registration.RegistrationRequest? PendingRegistration { get; set; }

    /// <summary>Registrar only: the services the peer offered in REG_INFO of its R1.</summary>
    public Wire.Parameters.RegistrationType[] OfferedServices { get; set; } = [];

    /// <summary>Next registration renewal or expiry (client or server side).</summary>
    public TimeSpan RegistrationDeadline { get; set; } = TimeSpan.MaxValue;

    // ---- NAT traversal (RFC 9028 §4.3-4.4) ----
    public Wire.Parameters.NatTraversalMode NatMode { get; set; }

    public TimeSpan Pacing { get; set; }

    // ---- keepalives and direct-path probing (RFC 9028 §4.10, §4.8) ----
    public TimeSpan KeepaliveDue { get; set; } = TimeSpan.MaxValue;

    /// <summary>Return-routability probes in flight: one owner, <see cref="Paths.ReturnRoutability"/>.</summary>
    public Paths.ReturnRoutability ReturnRoutability { get; } = new();

    // ---- ICE (RFC 9028 §4.6; RFC 5770 §4.6) ----
    /// <summary>The peer's candidates from its LOCATOR_SET in I2/R2 (bounded; owned by <see cref="Peer"/>).</summary>
    public List<Ice.IceCandidate> PeerCandidates => Peer.Candidates;

    public Ice.IceAgent? Ice { get; set; }

    /// <summary>Checks that arrived in I2-SENT, before the R2 (processed right after it).</summary>
    public List<(byte[] Packet, TransportAddress Local, TransportAddress Remote, Host.RelayedVia? Via)> EarlyChecks { get; } = [];

    public TimeSpan IceDue { get; set; } = TimeSpan.MaxValue;

    /// <summary>Registrar association: a PEER_PERMISSION UPDATE is wanted once the outstanding UPDATE completes.</summary>
    /// <summary>A registration (or its cancellation) waits for the UPDATE in flight; it is sent when that one completes.</summary>
    public bool RegistrationUpdateWanted { get; set; }

    public bool PermissionUpdateWanted { get; set; }

    /// <summary>ICE: our candidates changed; an UPDATE with LOCATOR_SET goes out once the outstanding one completes.</summary>
    public bool CandidatesUpdateWanted { get; set; }

    // ---- mobility (RFC 8046; RFC 9028 §4.9; draft-melen-hip-nat-mm §5.1) ----
    /// <summary>Our locators changed: the handover UPDATE waits for the registrations to be updated first.</summary>
    public bool HandoverUpdateWanted { get; set; }

    /// <summary>When the handover UPDATE goes out even if a registrar has not answered yet.</summary>
    public TimeSpan HandoverDue { get; set; } = TimeSpan.MaxValue;

    /// <summary>The pending handover UPDATE as sent through the relay (with RELAY_TO where needed), for the
    /// retransmissions that fall back to it (RFC 9028 §4.8).</summary>
    public byte[]? PendingUpdateViaRelay { get; set; }

    /// <summary>The pending UPDATE belongs to a handover: retransmitted from a short interval, and when it is never
    /// acknowledged it is given up without failing the association (keepalives and the peer timeout decide that).</summary>
    public bool PendingUpdateSoft { get; set; }

    /// <summary>The pending UPDATE is a handover's (ESP_INFO Old SPI = New SPI with our LOCATOR_SET).</summary>
    public bool PendingUpdateIsHandover { get; set; }

    /// <summary>The locators our last handover UPDATE offered (to offer again if they change before it settles).</summary>
    public string? HandoverOffered { get; set; }

    /// <summary>Nonce of the ECHO_REQUEST_SIGNED we sent the peer after it moved.</summary>
    public byte[]? HandoverEchoNonce { get; set; }

    /// <summary>Liveness of the active path (draft §5.2): one owner, <see cref="Paths.PathLiveness"/>.</summary>
    public Paths.PathLiveness Liveness { get; } = new();

    /// <summary>When the silence window of the active path ends (liveness check).</summary>
    public TimeSpan LivenessDue { get; set; } = TimeSpan.MaxValue;

    /// <summary>The last handover, for status.</summary>
    public HandoverRecord? LastHandover { get; set; }

    /// <summary>Next standby keepalive (hot backup, draft §3.2.1).</summary>
    public TimeSpan StandbyDue { get; set; } = TimeSpan.MaxValue;

    /// <summary>When the suspected active pair's time to answer its signed echo runs out (then a standby takes over).</summary>
    public TimeSpan FailoverDue { get; set; } = TimeSpan.MaxValue;

    /// <summary>The pair traffic left in the last failover; it gets traffic back once it has answered for
    /// <see cref="Host.HipHostOptions.FailbackHold"/>.</summary>
    public LocatorPair? FailedOverFrom { get; set; }

    /// <summary>When <see cref="FailedOverFrom"/> started answering again without a miss since (null: not answering).</summary>
    public TimeSpan? FailbackAnsweringSince { get; set; }

    /// <summary>A cold backup's offer waits for the reflexive answers; the peer's own offer meanwhile supersedes it.</summary>
    public bool ColdBackupOfferPending { get; set; }

    /// <summary>When the active path last changed.</summary>
    public TimeSpan ActivePathSince { get; set; }

    /// <summary>When the peer last told us (a signed echo through the relay) that it hears nothing from us.</summary>
    public TimeSpan? LastPeerHearsNothing { get; set; }

    /// <summary>The last failover, for status: when, why, from which pair to which.</summary>
    public FailoverRecord? LastFailover { get; set; }

    /// <summary>Earliest of all this association's timers, used by the host's timer queue.</summary>
    public TimeSpan NextDue
    {
        get
        {
            var d = NextRetransmit < StateDeadline ? NextRetransmit : StateDeadline;
            d = NextUpdateRetransmit < d ? NextUpdateRetransmit : d;
            d = RegistrationDeadline < d ? RegistrationDeadline : d;
            d = KeepaliveDue < d ? KeepaliveDue : d;
            d = IceDue < d ? IceDue : d;
            d = HandoverDue < d ? HandoverDue : d;
            d = LivenessDue < d ? LivenessDue : d;
            d = StandbyDue < d ? StandbyDue : d;
            d = FailoverDue < d ? FailoverDue : d;
            d = Multihoming.ProbeDue < d ? Multihoming.ProbeDue : d;
            return ReturnRoutability.NextDue < d ? ReturnRoutability.NextDue : d;
        }
    }

    /// <summary>Where control packets go now: the active pair, else the first peer locator.</summary>
    public bool TryGetRoute(out TransportAddress local, out TransportAddress peer)
    {
        if (ActivePair is { } p)
        {
            local = p.Local;
            peer = p.Peer;
            return true;
        }

        local = default;
        peer = default;
        return false;
    }

    public void ClearPending()
    {
        Pending = null;
        PendingLength = 0;
        Retries = 0;
        NextRetransmit = TimeSpan.MaxValue;
    }
}
