namespace Hipnat.Core.Ice;

/// <summary>A local and a remote candidate being checked (RFC 8445 §6.1.2), with its check transaction.</summary>
public sealed class CandidatePair
{
    internal CandidatePair(IceCandidate local, IceCandidate remote, bool controlling)
    {
        Local = local;
        Remote = remote;
        Priority = controlling ? IcePriority.Pair(local.Priority, remote.Priority) : IcePriority.Pair(remote.Priority, local.Priority);
    }

    public IceCandidate Local { get; }

    public IceCandidate Remote { get; internal set; }

    public ulong Priority { get; internal set; }

    public CandidatePairState State { get; internal set; }

    /// <summary>The controlling side nominated this pair and the nomination was answered.</summary>
    public bool Nominated { get; internal set; }

    /// <summary>Round-trip time of the first answered check.</summary>
    public TimeSpan Rtt { get; internal set; }

    /// <summary>Transmissions of the current check (first one included).</summary>
    public int Attempts { get; internal set; }

    public int ChecksSent { get; internal set; }

    public TimeSpan FirstSentAt { get; internal set; }

    public TimeSpan LastSentAt { get; internal set; }

    public TimeSpan NextRetransmitAt { get; internal set; } = TimeSpan.MaxValue;

    public TimeSpan SucceededAt { get; internal set; }

    /// <summary>Our address as the peer saw it in the answer (MAPPED_ADDRESS / XOR-MAPPED-ADDRESS).</summary>
    public Transport.TransportAddress? Mapped { get; internal set; }

    /// <summary>SEQ of the outstanding check (ICE-HIP-UDP) and its ECHO_REQUEST_SIGNED nonce, or the STUN
    /// transaction ID (ICE-STUN-UDP).</summary>
    internal uint TransactionId { get; set; }

    internal byte[] Nonce { get; set; } = [];

    internal bool NominationInFlight { get; set; }

    /// <summary>Either candidate is relayed: traffic on this pair crosses a data relay.</summary>
    public bool IsRelayed => Local.Type == Wire.Parameters.CandidateKind.Relayed || Remote.Type == Wire.Parameters.CandidateKind.Relayed;

    public override string ToString() => $"{Local} -> {Remote} {State}{(Nominated ? " nominated" : string.Empty)}";
}
