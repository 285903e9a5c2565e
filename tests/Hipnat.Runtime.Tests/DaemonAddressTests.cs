using System.Net;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Netlink;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Runtime.Transports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>How the daemon turns interface snapshots into its local locators, at start-up and after a change.</summary>
public sealed class DaemonAddressTests
{
    private const ushort Port = 10500;

    private static readonly uint Up = InterfaceLink.IffUp | InterfaceLink.IffRunning | InterfaceLink.IffLowerUp;

    private static InterfaceSnapshot Sample() => new(
        [
            new InterfaceLink(1, "lo", Up | InterfaceLink.IffLoopback, InterfaceLink.OperUnknown),
            new InterfaceLink(2, "eth0", Up, InterfaceLink.OperUp),
            new InterfaceLink(3, "wlan0", Up, InterfaceLink.OperUp),
            new InterfaceLink(4, "eth1", InterfaceLink.IffUp, InterfaceLink.OperDown),
            new InterfaceLink(5, "hip0", Up, InterfaceLink.OperUnknown),
        ],
        [
            new InterfaceAddress(1, IPAddress.Loopback, 8, InterfaceAddress.IfaFPermanent, 254),
            new InterfaceAddress(2, IPAddress.Parse("192.0.2.10"), 24, InterfaceAddress.IfaFPermanent, 0),
            new InterfaceAddress(3, IPAddress.Parse("198.51.100.7"), 24, 0, 0),
            new InterfaceAddress(4, IPAddress.Parse("203.0.113.9"), 24, InterfaceAddress.IfaFPermanent, 0),
            new InterfaceAddress(5, IPAddress.Parse("1.0.0.1"), 8, InterfaceAddress.IfaFPermanent, 0),
            new InterfaceAddress(1, IPAddress.IPv6Loopback, 128, InterfaceAddress.IfaFPermanent, 254),
            new InterfaceAddress(2, IPAddress.Parse("2001:db8::10"), 64, InterfaceAddress.IfaFTentative, 0),
            new InterfaceAddress(2, IPAddress.Parse("2001:db8::11"), 64, InterfaceAddress.IfaFPermanent, 0),
            new InterfaceAddress(2, new IPAddress(IPAddress.Parse("fe80::1").GetAddressBytes(), 2), 64, InterfaceAddress.IfaFPermanent, 253),
            new InterfaceAddress(5, IPAddress.Parse("2001:20::1"), 28, InterfaceAddress.IfaFPermanent, 0),
        ]);

    [Fact]
    public void ASnapshotGivesTheStartUpPolicysLocators()
    {
        TransportAddress[] bound = [TransportAddress.Udp(IPAddress.Any, Port), TransportAddress.Udp(IPAddress.IPv6Any, Port)];

        // Loopback, link-local, the tentative address, the TUN interface (LSI, HIT) and the link without carrier are out.
        Assert.Equal(
            [.. bound, TransportAddress.Udp(IPAddress.Parse("192.0.2.10"), Port), TransportAddress.Udp(IPAddress.Parse("198.51.100.7"), Port),
                TransportAddress.Udp(IPAddress.Parse("2001:db8::11"), Port)],
            DaemonRunner.LocatorsFor(bound, Sample().UsableInterfaces(), new IceSettings(), "hip0"));

        // ice.interfaces orders them and ice.ignoreInterfaces leaves some out, as at start-up.
        var ice = new IceSettings();
        ice.Interfaces.AddRange(["wlan0", "eth0"]);
        Assert.Equal(
            [.. bound, TransportAddress.Udp(IPAddress.Parse("198.51.100.7"), Port), TransportAddress.Udp(IPAddress.Parse("192.0.2.10"), Port),
                TransportAddress.Udp(IPAddress.Parse("2001:db8::11"), Port)],
            DaemonRunner.LocatorsFor(bound, Sample().UsableInterfaces(), ice, "hip0"));
        var ignore = new IceSettings();
        ignore.IgnoreInterfaces.Add("wlan0");
        Assert.DoesNotContain(TransportAddress.Udp(IPAddress.Parse("198.51.100.7"), Port), DaemonRunner.LocatorsFor(bound, Sample().UsableInterfaces(), ignore, "hip0"));

        // The same list as HostCandidateAddresses (the start-up policy) over the same interfaces.
        var candidates = DaemonRunner.HostCandidateAddresses(Sample().UsableInterfaces(), ice, "hip0");
        Assert.Equal(candidates, DaemonRunner.LocatorsFor(bound, Sample().UsableInterfaces(), ice, "hip0").Skip(2).Select(l => l.Address));
    }

    [Fact]
    public void TransportsWithASnapshotGiveTheSameLocatorsAsThePolicy()
    {
        int port = Ports.FreeUdpPort();
        var wildcard = TransportAddress.Udp(IPAddress.Any, (ushort)port);
        using var udp = new UdpTransport([wildcard], NullLogger.Instance);
        Assert.True(DaemonRunner.ListensOnWildcard([udp]));
        Assert.Equal(
            DaemonRunner.LocatorsFor([wildcard], Sample().UsableInterfaces(), null, "hip0"),
            DaemonRunner.LocalLocators([udp], null, "hip0", null, Sample()));
        Assert.Equal("eth0", DaemonRunner.InterfaceAddresses(Sample())[IPAddress.Parse("2001:db8::10")]);

        // A concrete listen address is the only locator, whatever the interfaces.
        var concrete = TransportAddress.Udp(IPAddress.Loopback, (ushort)Ports.FreeUdpPort());
        using var fixedUdp = new UdpTransport([concrete], NullLogger.Instance);
        Assert.False(DaemonRunner.ListensOnWildcard([fixedUdp]));
        Assert.Equal([concrete], DaemonRunner.LocalLocators([fixedUdp], null, "hip0", null, Sample()));
    }

    [Fact]
    public void TheStartUpReadInANamespaceMatchesTheMonitorsSnapshot()
    {
        Assert.SkipUnless(TestNetNamespace.IsSupported, "network namespaces need root and iproute2; CI runs as root");
        using var ns = TestNetNamespace.Create();
        ns.Ip("link", "add", "e0", "type", "veth", "peer", "name", "e0p");
        ns.Ip("link", "set", "e0p", "up");
        ns.Ip("link", "set", "e0", "up");
        ns.Ip("addr", "add", "192.0.2.10/24", "dev", "e0");
        int port = Ports.FreeUdpPort();
        var wildcard = TransportAddress.Udp(IPAddress.Any, (ushort)port);
        using var udp = new UdpTransport([wildcard], NullLogger.Instance);
        var (startUp, monitored) = ns.Invoke(() =>
        {
            using var monitor = new AddressMonitor();
            return (DaemonRunner.LocalLocators([udp], null, "hip0", null), DaemonRunner.LocalLocators([udp], null, "hip0", null, monitor.Snapshot));
        });
        Assert.Equal([wildcard, TransportAddress.Udp(IPAddress.Parse("192.0.2.10"), (ushort)port)], startUp);
        Assert.Equal(startUp, monitored);
    }

    [Fact]
    public async Task TheDaemonFollowsAddressChangesOnItsDriverThread()
    {
        Assert.SkipUnless(TestNetNamespace.IsSupported, "network namespaces need root and iproute2; CI runs as root");
        using var ns = TestNetNamespace.Create();
        ns.Ip("link", "add", "e0", "type", "veth", "peer", "name", "e0p");
        ns.Ip("link", "set", "e0p", "up");
        ns.Ip("link", "set", "e0", "up");
        using var a = new InProcessDaemon();
        var wildcard = TransportAddress.Udp(IPAddress.Any, a.Address.Port);
        using var monitor = ns.Invoke(() => new AddressMonitor(TimeSpan.FromMilliseconds(20)));
        a.Daemon.FollowAddresses(monitor, s => DaemonRunner.LocatorsFor([wildcard], s.UsableInterfaces(), null, "hip0"));
        a.Daemon.Start();
        monitor.Start();

        var v4 = TransportAddress.Udp(IPAddress.Parse("198.51.100.5"), a.Address.Port);
        ns.Ip("addr", "add", "198.51.100.5/24", "dev", "e0");
        await WaitForLocatorsAsync(a, l => l.Contains(v4), "198.51.100.5 among the core's locators");
        Assert.Equal([wildcard, v4], await a.Daemon.InvokeAsync(h => h.LocalLocators.ToList()));
        long changes = a.Daemon.LocalAddressChanges;
        Assert.True(changes >= 1);

        ns.Ip("addr", "del", "198.51.100.5/24", "dev", "e0");
        await WaitForLocatorsAsync(a, l => !l.Contains(v4), "198.51.100.5 gone from the core's locators");
        Assert.Equal([wildcard], await a.Daemon.InvokeAsync(h => h.LocalLocators.ToList()));
        Assert.True(a.Daemon.LocalAddressChanges > changes);
    }

    private static async Task WaitForLocatorsAsync(InProcessDaemon daemon, Func<IReadOnlyList<TransportAddress>, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        IReadOnlyList<TransportAddress> last = [];
        while (DateTime.UtcNow < deadline)
        {
            last = await daemon.Daemon.InvokeAsync(h => h.LocalLocators.ToList());
            if (match(last))
            {
                return;
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"no {what} within 2 s; locators: {string.Join(", ", last)}");
    }
}
