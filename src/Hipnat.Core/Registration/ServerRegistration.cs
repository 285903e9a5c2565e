using Hipnat.Core.Limits;
using Hipnat.Core.Transport;
using Hipnat.Wire.Parameters;
using Hipnat.Wire;

namespace Hipnat.Core.Registration;

/// <summary>A client registered with this host (registrar side): services, expiry, and where it is reached.</summary>
public sealed class ServerRegistration
{
    internal ServerRegistration(Hit client)
    {
        Client = client;
    }

    public Hit Client { get; }

    /// <summary>Granted services and when each expires.</summary>
    public Dictionary<RegistrationType, TimeSpan> Services { get; } = [];

    /// <summary>The client's transport address as we see it (the reverse of the R2/UPDATE that registered it).</summary>
    public TransportAddress ClientAddress { get; internal set; }

    public TransportAddress LocalAddress { get; internal set; }

    /// <summary>RELAY_UDP_ESP: the UDP port we opened for this client (RELAYED_ADDRESS, RFC 9028 §4.1).</summary>
    public TransportAddress? RelayedAddress { get; internal set; }

    /// <summary>Data-relay permissions by the client's outbound SPI and by its inbound SPI (RFC 9028 §4.12.1).</summary>
    public Dictionary<uint, PeerPermission> ByOutboundSpi { get; } = [];

    public Dictionary<uint, PeerPermission> ByInboundSpi { get; } = [];

    /// <summary>Peers whose control packets reached the client through its relayed address; answers to them leave
    /// from that address (RFC 9028 §4.12.2). Bounded.</summary>
    internal HashSet<TransportAddress> PeersAtRelayedPort { get; } = [];

    public long RelayedPackets { get; internal set; }

    public long RelayedBytes { get; internal set; }

    /// <summary>Token bucket for I1s relayed to this client.</summary>
    internal TokenBucket RelayedI1Tokens;

    /// <summary>Token bucket for every relayed control packet of this client, either direction.</summary>
    internal TokenBucket ControlTokens;

    public bool Has(RegistrationType type, TimeSpan now) => Services.TryGetValue(type, out var exp) && exp > now;
}
