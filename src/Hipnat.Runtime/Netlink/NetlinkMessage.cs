namespace Hipnat.Runtime.Netlink;

/// <summary>One parsed rtnetlink message.</summary>
/// <param name="Kind">What it says.</param>
/// <param name="Sequence">nlmsg_seq: a dump's replies carry the request's number; notifications 0.</param>
/// <param name="HeaderFlags">nlmsg_flags (NLM_F_MULTI, NLM_F_DUMP_INTR, ...).</param>
/// <param name="Link">The link of <see cref="NetlinkMessageKind.NewLink"/> and <see cref="NetlinkMessageKind.DeleteLink"/>.</param>
/// <param name="Address">The address of <see cref="NetlinkMessageKind.NewAddress"/> and <see cref="NetlinkMessageKind.DeleteAddress"/>.</param>
/// <param name="Error">The negative errno of <see cref="NetlinkMessageKind.Error"/> (0: acknowledgement).</param>
public readonly record struct NetlinkMessage(
    NetlinkMessageKind Kind, uint Sequence, ushort HeaderFlags, InterfaceLink? Link = null, InterfaceAddress? Address = null, int Error = 0)
{
    /// <summary>NLM_F_DUMP_INTR: the kernel's tables changed during the dump, which is inconsistent; dump again.</summary>
    public const ushort FlagDumpInterrupted = 0x10;

    /// <summary>A change the monitor reacts to (links, addresses, routes).</summary>
    public bool IsChange => Kind is NetlinkMessageKind.NewLink or NetlinkMessageKind.DeleteLink or NetlinkMessageKind.NewAddress
        or NetlinkMessageKind.DeleteAddress or NetlinkMessageKind.RouteChange;
}
