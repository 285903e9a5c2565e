using Hipnat.Core.Transport;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// A transport that can open extra UDP ports on demand: the relayed transport addresses a data relay allocates
/// per client (RELAYED_ADDRESS, RFC 9028 §4.1, §4.12). Datagrams received on them reach the driver with
/// <c>local</c> = that address; transmits whose source is that address leave from it. Driver thread only.
/// </summary>
public interface IRelayedPorts
{
    /// <summary>Relayed ports currently bound.</summary>
    int RelayedPortCount { get; }

    /// <summary>Binds <paramref name="address"/>; false with a reason when it cannot be bound.</summary>
    bool OpenRelayedPort(TransportAddress address, out string? error);

    /// <summary>Closes a relayed port (no-op if it is not open).</summary>
    void CloseRelayedPort(TransportAddress address);
}
