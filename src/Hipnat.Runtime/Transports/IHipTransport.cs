using Hipnat.Core.Transport;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// Moves HIP datagrams between sockets and the driver thread. Receiving runs on the transport's own threads and
/// posts into a <see cref="DriverInbox"/>; <see cref="Send"/> is called only from the driver thread.
/// </summary>
public interface IHipTransport : IDisposable
{
    TransportKind Kind { get; }

    /// <summary>The addresses actually bound (one per socket).</summary>
    IReadOnlyList<TransportAddress> LocalAddresses { get; }

    TransportCounters Counters { get; }

    /// <summary>Starts the receive threads; datagrams go to <paramref name="inbox"/>.</summary>
    void Start(DriverInbox inbox);

    /// <summary>Sends one datagram synchronously. Never throws for network errors: they are counted and logged.</summary>
    bool Send(in Transmit transmit);
}
