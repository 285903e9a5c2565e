using Hipnat.Core.Transport;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Ice;

/// <summary>
/// One ICE candidate (RFC 8445 §5.1): a transport address, the base it is sent from, its type and priority.
/// Every candidate of hipnat has component ID 1 and a unique foundation (RFC 9028 §4.6.2), so neither is kept.
/// </summary>
/// <param name="Address">The transport address announced (or observed, for peer-reflexive candidates).</param>
/// <param name="Base">Where packets for this candidate leave from: the host address for host and server-reflexive
/// candidates, the relayed address itself for relayed ones (RFC 8445 §5.1.1).</param>
public readonly record struct IceCandidate(TransportAddress Address, TransportAddress Base, CandidateKind Type, uint Priority)
{
    public bool IsIPv4 => Address.IsIPv4;

    public override string ToString() => $"{IcePriority.TypeName(Type)} {Address}";
}
