using Hipnat.Core.Host;
using Hipnat.Crypto;

namespace Hipnat.Runtime.Configuration;

/// <summary>Protocol tunables from the config file's "protocol" object. Null = the core's default.</summary>
public sealed class ProtocolSettings
{
    public IReadOnlyList<DhGroupId>? DhGroups { get; set; }

    public IReadOnlyList<HipCipherId>? Ciphers { get; set; }

    public IReadOnlyList<ushort>? EspSuites { get; set; }

    public byte? PuzzleDifficulty { get; set; }

    public byte? MaxAcceptedPuzzleDifficulty { get; set; }

    public byte? PuzzleDifficultyCeiling { get; set; }

    public int? PuzzleLoadThreshold { get; set; }

    public byte? PuzzleLifetime { get; set; }

    public TimeSpan? R1Rotation { get; set; }

    public bool? EncryptHostId { get; set; }

    public TimeSpan? RetransmitInitial { get; set; }

    public TimeSpan? RetransmitMax { get; set; }

    public int? I1RetriesMax { get; set; }

    public int? I2RetriesMax { get; set; }

    public int? UpdateRetriesMax { get; set; }

    public int? CloseRetriesMax { get; set; }

    public TimeSpan? UnusedAssociationLifetime { get; set; }

    public TimeSpan? MaximumSegmentLifetime { get; set; }

    public TimeSpan? FailedHoldTime { get; set; }

    public TimeSpan? R2SentHold { get; set; }

    public int? MaxAssociations { get; set; }

    public int? EspGcmKeyBits { get; set; }

    public TimeSpan? KeepaliveInterval { get; set; }

    public TimeSpan? PeerTimeout { get; set; }

    public TimeSpan? TransactionPacing { get; set; }

    public bool? ProbeDirectPaths { get; set; }

    public int? DirectProbeAttempts { get; set; }

    public bool? AnswerStun { get; set; }

    /// <summary>NAT_TRAVERSAL_MODE list in preference order (config protocol.natTraversalModes, --nat-modes); null =
    /// the core's default (hosts: ICE-HIP-UDP, ICE-STUN-UDP, UDP-ENCAPSULATION; registrars: UDP-ENCAPSULATION).</summary>
    public IReadOnlyList<Hipnat.Wire.Parameters.NatTraversalMode>? NatTraversalModes { get; set; }

    /// <summary>Builds the core's options: every tunable not set here keeps the core's default.</summary>
    public HipHostOptions ToHostOptions(
        HostIdentity identity,
        IReadOnlyList<Hipnat.Core.Transport.TransportAddress> localLocators,
        Hipnat.Core.Transport.TransportKind defaultTransport,
        Hipnat.Core.Registration.RegistrarOptions? registrar = null,
        IceSettings? ice = null,
        MobilitySettings? mobility = null,
        MultihomingSettings? multihoming = null)
    {
        var d = new HipHostOptions { Identity = identity };
        var pathSilence = d.PathSilenceTimeout;
        var handoverWait = d.HandoverRegistrationWait;
        mobility?.ApplyTo(ref pathSilence, ref handoverWait);
        return new HipHostOptions
        {
            Identity = identity,
            DhGroups = DhGroups ?? d.DhGroups,
            Ciphers = Ciphers ?? d.Ciphers,
            EspSuites = EspSuites ?? d.EspSuites,
            PuzzleDifficulty = PuzzleDifficulty ?? d.PuzzleDifficulty,
            MaxAcceptedPuzzleDifficulty = MaxAcceptedPuzzleDifficulty ?? d.MaxAcceptedPuzzleDifficulty,
            PuzzleDifficultyCeiling = PuzzleDifficultyCeiling ?? d.PuzzleDifficultyCeiling,
            PuzzleLoadThreshold = PuzzleLoadThreshold ?? d.PuzzleLoadThreshold,
            PuzzleLifetime = PuzzleLifetime ?? d.PuzzleLifetime,
            R1Rotation = R1Rotation ?? d.R1Rotation,
            EncryptHostId = EncryptHostId ?? d.EncryptHostId,
            RetransmitInitial = RetransmitInitial ?? d.RetransmitInitial,
            RetransmitMax = RetransmitMax ?? d.RetransmitMax,
            I1RetriesMax = I1RetriesMax ?? d.I1RetriesMax,
            I2RetriesMax = I2RetriesMax ?? d.I2RetriesMax,
            UpdateRetriesMax = UpdateRetriesMax ?? d.UpdateRetriesMax,
            CloseRetriesMax = CloseRetriesMax ?? d.CloseRetriesMax,
            UnusedAssociationLifetime = UnusedAssociationLifetime ?? d.UnusedAssociationLifetime,
            MaximumSegmentLifetime = MaximumSegmentLifetime ?? d.MaximumSegmentLifetime,
            FailedHoldTime = FailedHoldTime ?? d.FailedHoldTime,
            R2SentHold = R2SentHold ?? d.R2SentHold,
            MaxAssociations = MaxAssociations ?? d.MaxAssociations,
            EspGcmKeyBits = EspGcmKeyBits ?? d.EspGcmKeyBits,
            KeepaliveInterval = KeepaliveInterval ?? d.KeepaliveInterval,
            PeerTimeout = PeerTimeout ?? d.PeerTimeout,
            TransactionPacing = ice?.Pacing ?? TransactionPacing ?? d.TransactionPacing,
            NatTraversalModes = NatTraversalModes,
            Ice = ice?.ToOptions() ?? d.Ice,
            ProbeDirectPaths = ProbeDirectPaths ?? d.ProbeDirectPaths,
            DirectProbeAttempts = DirectProbeAttempts ?? d.DirectProbeAttempts,
            AnswerStun = AnswerStun ?? d.AnswerStun,
            PathSilenceTimeout = pathSilence,
            HandoverRegistrationWait = handoverWait,
            MultihomingPolicy = multihoming?.Policy ?? d.MultihomingPolicy,
            FailoverSilenceTimeout = multihoming?.FailoverSilence ?? d.FailoverSilenceTimeout,
            StandbyKeepaliveInterval = multihoming?.StandbyKeepalive ?? d.StandbyKeepaliveInterval,
            FailbackHold = multihoming?.FailbackHold ?? d.FailbackHold,
            LocalLocators = localLocators,
            DefaultTransport = defaultTransport,
            Registrar = registrar,
        };
    }
}
