using System.Net.Sockets;
using Hipnat.Core.Transport;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// A transport whose sockets also carry ESP (UDP encapsulation on the HIP port, RFC 9028 §5.11): ESP leaves from
/// the socket HIP control uses, so it follows the same NAT mappings, and arriving ESP is handed to an
/// <see cref="IEspReceiver"/> on the receive threads.
/// </summary>
public interface IEspTransport
{
    /// <summary>The socket to send ESP for a locator pair from (thread-safe for concurrent sends); null if none fits.</summary>
    Socket? GetEspSocket(TransportAddress local, TransportAddress remote);

    /// <summary>Routes ESP datagrams to <paramref name="receiver"/> (null: back to the driver). Call before or after start.</summary>
    void SetEspReceiver(IEspReceiver? receiver);
}
