using Hipnat.Core.Transport;
using Hipnat.Crypto;

namespace Hipnat.Core.Host;

/// <summary>Identity and protocol tunables of one <see cref="HipHost"/>. Defaults follow RFC 7401 where it gives numbers.</summary>
public sealed class HipHostOptions
{
    public required HostIdentity Identity { get; init; }

    /// <summary>DH groups in preference order (RFC 7401 §5.2.6). Default: NIST P-256, NIST P-384, MODP-3072.</summary>
    public IReadOnlyList<DhGroupId> DhGroups { get; init; } = [DhGroupId.NistP256, DhGroupId.NistP384, DhGroupId.Modp3072];

    /// <summary>HIP_CIPHER preference order (RFC 7401 §5.2.8). NULL-ENCRYPT is offered only when listed here.</summary>
    public IReadOnlyList<HipCipherId> Ciphers { get; init; } = [HipCipherId.Aes128Cbc, HipCipherId.Aes256Cbc];

    /// <summary>ESP suites offered in ESP_TRANSFORM (RFC 7402 §5.1.2), preference order: AES-GCM-16 (13), AES-128-CBC/HMAC-SHA-256 (8), AES-256-CBC/HMAC-SHA-256 (9).</summary>
    public IReadOnlyList<ushort> EspSuites { get; init; } = [13, 8, 9];

    /// <summary>AES key size for ESP suite 13 (AES-GCM, 16-octet ICV): 128 or 256; both peers must agree.</summary>
    public int EspGcmKeyBits { get; init; } = 128;

    /// <summary>Puzzle difficulty #K sent in R1 when the responder is not under load (RFC 7401 §4.1.2): the floor
    /// the adaptive difficulty falls back to.</summary>
    public byte PuzzleDifficulty { get; init; } = 1;

    /// <summary>Highest #K the responder raises the puzzle to under load (RFC 7401 §4.1.1); at most
    /// <see cref="PuzzleGovernor.HardCeiling"/>. Equal to <see cref="PuzzleDifficulty"/> (or lower): #K never changes.</summary>
    public byte PuzzleDifficultyCeiling { get; init; } = 20;

    /// <summary>I2s reaching Diffie-Hellman work within <see cref="PuzzleLoadWindow"/> above which #K is raised.</summary>
    public int PuzzleLoadThreshold { get; init; } = 32;

    /// <summary>Sliding window over which the I2 work is counted; #K is raised at most once per window.</summary>
    public TimeSpan PuzzleLoadWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>#K falls by one after this long with the load at or under a quarter of the threshold.</summary>
    public TimeSpan PuzzleCalmInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest #K this host agrees to solve as initiator.</summary>
    public byte MaxAcceptedPuzzleDifficulty { get; init; } = 28;

    /// <summary>PUZZLE Lifetime exponent: 2^(value-32) s; 37 = 32 s.</summary>
    public byte PuzzleLifetime { get; init; } = 37;

    /// <summary>How often R1s (DH keys, puzzle secret) are regenerated; solutions of the previous generation stay valid.</summary>
    public TimeSpan R1Rotation { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Send HOST_ID inside ENCRYPTED in I2 (RFC 7401 §5.3.3).</summary>
    public bool EncryptHostId { get; init; }

    /// <summary>First retransmission timeout for I1, I2, UPDATE and CLOSE; doubled per retry up to <see cref="RetransmitMax"/>.</summary>
    public TimeSpan RetransmitInitial { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan RetransmitMax { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>I1_RETRIES_MAX / I2_RETRIES_MAX / UPDATE_RETRY_MAX (RFC 7401 §4.4.3, §6.11).</summary>
    public int I1RetriesMax { get; init; } = 6;

    public int I2RetriesMax { get; init; } = 6;

    public int UpdateRetriesMax { get; init; } = 6;

    public int CloseRetriesMax { get; init; } = 4;

    /// <summary>UAL: an association idle this long is closed (RFC 7401 §4.4.3 Table 6). Zero disables.</summary>
    public TimeSpan UnusedAssociationLifetime { get; init; } = TimeSpan.Zero;

    /// <summary>MSL used for CLOSED linger (UAL+2MSL, Table 8).</summary>
    public TimeSpan MaximumSegmentLifetime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time in E-FAILED before the state returns to UNASSOCIATED (Table 9).</summary>
    public TimeSpan FailedHoldTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>R2-SENT moves to ESTABLISHED after this long without I2 retransmissions ("Exchange Complete", Table 5).</summary>
    public TimeSpan R2SentHold { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Local locators announced in LOCATOR_SET and used as default sources.</summary>
    public IReadOnlyList<TransportAddress> LocalLocators { get; init; } = [];

    /// <summary>Transport used toward peers given without one.</summary>
    public TransportKind DefaultTransport { get; init; } = TransportKind.Udp;

    /// <summary>Cap on host associations kept (new I2s beyond it are dropped and counted).</summary>
    public int MaxAssociations { get; init; } = 1_000_000;

    /// <summary>Offer registration services (rendezvous, relay) to other hosts (RFC 8003, 8004, 9028). Null: none.</summary>
    public Registration.RegistrarOptions? Registrar { get; init; }

    /// <summary>Answer STUN Binding requests arriving on the HIP port (RFC 8489; the relay's server-reflexive
    /// discovery service). On by default for registrars.</summary>
    public bool? AnswerStun { get; init; }

    /// <summary>NAT traversal modes offered in R1 / chosen from in I2, in preference order (RFC 9028 §4.3, §5.4).
    /// Null: a host offers ICE-HIP-UDP, ICE-STUN-UDP and UDP-ENCAPSULATION; a registrar only UDP-ENCAPSULATION
    /// (RFC 9028 §4.3: a relay server proposes UDP-ENCAPSULATION as the preferred or only mode).</summary>
    public IReadOnlyList<Wire.Parameters.NatTraversalMode>? NatTraversalModes { get; init; }

    /// <summary>The modes in effect (see <see cref="NatTraversalModes"/>).</summary>
    public IReadOnlyList<Wire.Parameters.NatTraversalMode> EffectiveNatTraversalModes => NatTraversalModes
        ?? (Registrar is not null
            ? [Wire.Parameters.NatTraversalMode.UdpEncapsulation]
            : [Wire.Parameters.NatTraversalMode.IceHipUdp, Wire.Parameters.NatTraversalMode.IceStunUdp, Wire.Parameters.NatTraversalMode.UdpEncapsulation]);

    /// <summary>ICE policy: candidate types, check limits, nomination and relay fallback, aggressive use.</summary>
    public Ice.IceOptions Ice { get; init; } = new();

    /// <summary>Minimum Ta between connectivity-check transactions offered in TRANSACTION_PACING (RFC 9028 §4.4; default 50 ms).</summary>
    public TimeSpan TransactionPacing { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Renew a registration when this fraction of its lifetime has passed.</summary>
    public double RegistrationRenewFraction { get; init; } = 0.8;

    /// <summary>
    /// NAT keepalive period (Tr): a NOTIFY NAT_KEEPALIVE goes to each peer and registrar when nothing else was sent
    /// for this long (RFC 9028 §4.10, §5.3; the draft §5.2 uses 20 s). RFC 9028 forbids less than 15 s; zero
    /// disables keepalives.
    /// </summary>
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Failure detection (the draft §5.2): no authenticated packet from an established peer for this long means
    /// the path failed; the association fails, and a registration with that peer is set up again. Both ends send
    /// keepalives, so three keepalive periods is the default. Zero disables.
    /// </summary>
    public TimeSpan PeerTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After a base exchange through a control relay, probe the peer's direct locators and move to
    /// the first one that answers (return routability with ECHO_REQUEST_SIGNED, RFC 8046 §5.4).</summary>
    public bool ProbeDirectPaths { get; init; } = true;

    /// <summary>Probe transmissions per candidate before giving up (spaced by the negotiated pacing, doubling).</summary>
    public int DirectProbeAttempts { get; init; } = 8;

    /// <summary>Seed for the random source; null = cryptographic randomness. Deterministic seeds are for the simulator only.</summary>
    public int? RandomSeed { get; init; }

    /// <summary>
    /// After our locators change, how long the handover UPDATE to peers waits for the registrars to answer the
    /// re-registration (draft-melen-hip-nat-mm §5.1 step 1: relays first, so the offer carries the new reflexive
    /// address). It goes out at once when every registrar has answered.
    /// </summary>
    public TimeSpan HandoverRegistrationWait { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Liveness of the active path (draft-melen-hip-nat-mm §5.2, faster than keepalives while traffic flows): when
    /// traffic was flowing and nothing has been heard from the peer for this long (or for three round trips, if
    /// longer), the path is suspected: registrations are refreshed (a changed REG_FROM means our NAT rebound, which
    /// starts a handover) and the path is probed directly and through the relay. Zero turns it off.
    /// </summary>
    public TimeSpan PathSilenceTimeout { get; init; } = TimeSpan.FromMilliseconds(400);

    /// <summary>
    /// Hot backup (draft-melen-hip-nat-mm §3.2.1): the silence window of the active path while a verified standby
    /// pair is ready (at least three round trips). Then the active pair gets one signed echo; unanswered within
    /// <see cref="FailoverProbeWait"/> (at least three round trips), the best standby takes over. Zero: the
    /// <see cref="PathSilenceTimeout"/> applies and standbys take over only when the active pair's probes fail.
    /// </summary>
    public TimeSpan FailoverSilenceTimeout { get; init; } = TimeSpan.FromMilliseconds(150);

    /// <summary>How long the suspected active pair has to answer its signed echo before a standby takes over.</summary>
    public TimeSpan FailoverProbeWait { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Standby pairs are verified again (a signed echo that also keeps their NAT state) this often: RFC 9028
    /// §4.10 allows no NAT keepalive more often than every 15 s. Zero: standbys are not kept (cold backup only).
    /// </summary>
    public TimeSpan StandbyKeepaliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Going back (draft §3.2.1 leaves the policy open): after a failover, the pair that was active before is
    /// probed like a standby; once it has answered for this long without a miss, traffic returns to it. Zero:
    /// traffic stays where it failed over to while that pair works.
    /// </summary>
    public TimeSpan FailbackHold { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Simultaneous multihoming (RFC 8047 §4; draft-melen-hip-nat-mm §3.2.1, §4): with <see cref="MultihomingPolicy.HotStandby"/>
    /// or <see cref="MultihomingPolicy.LoadBalance"/> an established association gets one extra SA pair per further
    /// local interface from which a path to the peer was verified. Default <see cref="MultihomingPolicy.Failover"/>: one SA pair.
    /// </summary>
    public MultihomingPolicy MultihomingPolicy { get; init; } = MultihomingPolicy.Failover;

    /// <summary>
    /// Where the Diffie-Hellman key pairs of R1 generations and of I2s come from (the group in, a key pair out).
    /// Null: a fresh key pair each time (RFC 7401 §4.1.3). Only the fuzzing harness sets it, to reuse fixed key
    /// pairs (key generation is a large part of a base exchange in process); a key pair is never disposed by the host.
    /// </summary>
    internal Func<DhGroupId, DhKeyPair>? DhKeySource { get; init; }
}
