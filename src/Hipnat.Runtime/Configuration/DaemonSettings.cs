using Hipnat.Core.Transport;
using Hipnat.Wire;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Configuration;

/// <summary>Everything <c>hipnat run</c> needs: the config file's values with command-line flags applied on top.</summary>
public sealed class DaemonSettings
{
    /// <summary>PKCS#8 PEM file with the host identity's private key.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Addresses to listen on; empty = the defaults of <see cref="Transport"/>.</summary>
    public List<TransportAddress> Listen { get; } = [];

    /// <summary>Known peers: HIT → locators.</summary>
    public Dictionary<Hit, List<TransportAddress>> Peers { get; } = [];

    public TransportMode Transport { get; set; } = TransportMode.Udp;

    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    /// <summary>Control socket path; null = <see cref="ControlSocketPath.Default"/>.</summary>
    public string? ControlSocket { get; set; }

    public ProtocolSettings Protocol { get; set; } = new();

    public void AddPeer(Hit peer, TransportAddress locator)
    {
        if (!Peers.TryGetValue(peer, out var list))
        {
            Peers[peer] = list = [];
        }

        if (!list.Contains(locator))
        {
            list.Add(locator);
        }
    }
}
