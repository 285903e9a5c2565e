namespace Hipnat.Core.Host;

/// <summary>
/// How a host with verified paths from more than one local interface uses them (RFC 8047 §4.2.2-4.2.4;
/// draft-melen-hip-nat-mm §3.2.1, §4). The policy is local: a peer answers ESP_INFO Old SPI 0 whatever its own is.
/// </summary>
public enum MultihomingPolicy
{
    /// <summary>One SA pair over the active locator pair; another pair takes over only when it fails (the draft §4:
    /// fault tolerance with a single SA). No extra UPDATEs.</summary>
    Failover,

    /// <summary>One SA pair per interface, bound to its locator pair; data goes on the primary (the active pair), the
    /// others stay set up so a failure moves the flows at once.</summary>
    HotStandby,

    /// <summary>One SA pair per interface; flows (never the packets of one flow) are spread over them by a flow hash
    /// weighted by each path's round-trip time and loss (docs/multihoming.md).</summary>
    LoadBalance,
}
