namespace Hipnat.Runtime.Netlink;

/// <summary>What one rtnetlink message says (netlink(7), rtnetlink(7)).</summary>
public enum NetlinkMessageKind
{
    /// <summary>A type the monitor does not read (NLMSG_NOOP, neighbours, rules, ...).</summary>
    Other,

    /// <summary>RTM_NEWLINK: a link appeared or changed.</summary>
    NewLink,

    /// <summary>RTM_DELLINK.</summary>
    DeleteLink,

    /// <summary>RTM_NEWADDR: an address appeared or changed (e.g. finished duplicate address detection).</summary>
    NewAddress,

    /// <summary>RTM_DELADDR.</summary>
    DeleteAddress,

    /// <summary>RTM_NEWROUTE or RTM_DELROUTE.</summary>
    RouteChange,

    /// <summary>NLMSG_DONE: the end of a dump.</summary>
    Done,

    /// <summary>NLMSG_ERROR: an error (or, with error 0, an acknowledgement) for a request.</summary>
    Error,

    /// <summary>NLMSG_OVERRUN.</summary>
    Overrun,
}
