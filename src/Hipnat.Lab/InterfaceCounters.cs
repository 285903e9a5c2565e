namespace Hipnat.Lab;

/// <summary>Kernel counters of one interface, from <c>ip -s -j link</c> (stats64).</summary>
/// <param name="Interface">The interface name.</param>
/// <param name="RxPackets">Packets received.</param>
/// <param name="RxBytes">Bytes received.</param>
/// <param name="RxDropped">Received packets dropped by the kernel.</param>
/// <param name="TxPackets">Packets sent.</param>
/// <param name="TxBytes">Bytes sent.</param>
/// <param name="TxDropped">Packets dropped on the way out.</param>
public sealed record InterfaceCounters(
    string Interface,
    long RxPackets,
    long RxBytes,
    long RxDropped,
    long TxPackets,
    long TxBytes,
    long TxDropped)
{
    /// <summary>The difference <c>this - earlier</c>, for "how much crossed since then" assertions.</summary>
    public InterfaceCounters Since(InterfaceCounters earlier) => new(
        Interface,
        RxPackets - earlier.RxPackets,
        RxBytes - earlier.RxBytes,
        RxDropped - earlier.RxDropped,
        TxPackets - earlier.TxPackets,
        TxBytes - earlier.TxBytes,
        TxDropped - earlier.TxDropped);
}
