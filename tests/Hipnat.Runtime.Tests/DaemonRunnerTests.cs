using System.Net;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Runtime.Transports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>How settings become transports and local locators.</summary>
public sealed class DaemonRunnerTests
{
    [Fact]
    public void WildcardListenersAnnounceInterfaceAddressesWithTheBoundPort()
    {
        int port = Ports.FreeUdpPort();
        using var udp = new UdpTransport([TransportAddress.Udp(IPAddress.Any, (ushort)port)], NullLogger.Instance);
        var locators = DaemonRunner.LocalLocators([udp]);
        Assert.Equal(TransportAddress.Udp(IPAddress.Any, (ushort)port), locators[0]);
        foreach (var l in locators.Skip(1))
        {
            Assert.Equal(port, l.Port);
            Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, l.Address.AddressFamily);
            Assert.False(IPAddress.IsLoopback(l.Address));
        }
    }

    [Fact]
    public void SpecificListenersAreTheOnlyLocators()
    {
        var address = TransportAddress.Udp(IPAddress.Loopback, (ushort)Ports.FreeUdpPort());
        using var udp = new UdpTransport([address], NullLogger.Instance);
        Assert.Equal([address], DaemonRunner.LocalLocators([udp]));
    }

    [Fact]
    public void ListenEntriesPickTheTransport()
    {
        var settings = new DaemonSettings();
        settings.Listen.Add(TransportAddress.Udp(IPAddress.Loopback, (ushort)Ports.FreeUdpPort()));
        var transports = DaemonRunner.OpenTransports(settings, NullLogger.Instance);
        try
        {
            var t = Assert.Single(transports);
            Assert.IsType<UdpTransport>(t);
            Assert.Equal(settings.Listen, t.LocalAddresses);
        }
        finally
        {
            transports.ForEach(t => t.Dispose());
        }

        if (!NativeSignals.IsRoot)
        {
            return;
        }

        var (ip, _) = Ports.LoopbackPair();
        settings.Transport = TransportMode.Raw;
        settings.Listen.Clear();
        settings.Listen.Add(TransportAddress.Udp(ip, 10500)); // with --raw a UDP-looking entry is an address
        transports = DaemonRunner.OpenTransports(settings, NullLogger.Instance);
        try
        {
            var t = Assert.Single(transports);
            Assert.IsType<RawHipTransport>(t);
            Assert.Equal([TransportAddress.Raw(ip)], t.LocalAddresses);
        }
        finally
        {
            transports.ForEach(t => t.Dispose());
        }
    }
}
