using System.Net;

namespace Hipnat.Runtime.Netlink;

/// <summary>
/// One interface address as rtnetlink reports it (RTM_NEWADDR, struct ifaddrmsg with IFA_LOCAL / IFA_ADDRESS and
/// IFA_FLAGS; rtnetlink(7)).
/// </summary>
/// <param name="InterfaceIndex">ifa_index.</param>
/// <param name="Address">The local address (IFA_LOCAL when present, else IFA_ADDRESS: on a point-to-point link
/// IFA_ADDRESS is the peer's). IPv6 link-local addresses carry the interface index as scope id.</param>
/// <param name="PrefixLength">ifa_prefixlen.</param>
/// <param name="Flags">IFA_FLAGS when present (32 bits), else the 8-bit ifa_flags.</param>
/// <param name="Scope">ifa_scope: 0 universe, 200 site, 253 link, 254 host.</param>
public sealed record InterfaceAddress(int InterfaceIndex, IPAddress Address, byte PrefixLength, uint Flags, byte Scope)
{
    public const uint IfaFSecondary = 0x01;
    public const uint IfaFNoDad = 0x02;
    public const uint IfaFOptimistic = 0x04;
    public const uint IfaFDadFailed = 0x08;
    public const uint IfaFDeprecated = 0x20;
    public const uint IfaFTentative = 0x40;
    public const uint IfaFPermanent = 0x80;

    /// <summary>Duplicate address detection is still running (RFC 4862 §5.4).</summary>
    public bool IsTentative => (Flags & IfaFTentative) != 0;

    /// <summary>Duplicate address detection found another node using the address (RFC 4862 §5.4.5).</summary>
    public bool IsDadFailed => (Flags & IfaFDadFailed) != 0;

    /// <summary>The preferred lifetime ran out (RFC 4862 §5.5.4): still valid, but no first choice for new communication.</summary>
    public bool IsDeprecated => (Flags & IfaFDeprecated) != 0;

    /// <summary>
    /// The address may be used: not tentative (RFC 4862 §5.4: a tentative address is not assigned to the interface;
    /// an optimistic one is usable, RFC 4429 §3.1) and not a duplicate.
    /// </summary>
    public bool IsUsable => !IsDadFailed && (!IsTentative || (Flags & IfaFOptimistic) != 0);

    public override string ToString() => $"{Address}/{PrefixLength} on {InterfaceIndex} flags 0x{Flags:x}";
}
