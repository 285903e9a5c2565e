namespace Hipnat.Runtime.Netlink;

/// <summary>
/// One network interface as rtnetlink reports it (RTM_NEWLINK, struct ifinfomsg with IFLA_IFNAME and
/// IFLA_OPERSTATE; rtnetlink(7)).
/// </summary>
/// <param name="Index">ifi_index.</param>
/// <param name="Name">IFLA_IFNAME (empty when the kernel sent none).</param>
/// <param name="Flags">ifi_flags: IFF_UP, IFF_RUNNING, IFF_LOWER_UP, IFF_LOOPBACK, ... (netdevice(7)).</param>
/// <param name="OperState">IFLA_OPERSTATE (RFC 2863 ifOperStatus as the kernel numbers it); 0 (unknown) when absent.</param>
public sealed record InterfaceLink(int Index, string Name, uint Flags, byte OperState)
{
    public const uint IffUp = 0x1;
    public const uint IffLoopback = 0x8;
    public const uint IffRunning = 0x40;
    public const uint IffLowerUp = 0x10000;

    public const byte OperUnknown = 0;
    public const byte OperDown = 2;
    public const byte OperUp = 6;

    /// <summary>
    /// Administratively up (IFF_UP) with a working carrier (IFF_RUNNING or IFF_LOWER_UP) and an operational state of
    /// up or unknown (virtual interfaces such as dummy and loopback report "unknown"; RFC 2863 §3.1.13 dormant,
    /// down and lower-layer-down are not usable). Only such links give usable addresses.
    /// </summary>
    public bool IsUp =>
        (Flags & IffUp) != 0 && (Flags & (IffRunning | IffLowerUp)) != 0 && OperState is OperUnknown or OperUp;
}
