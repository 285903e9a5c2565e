using System.Diagnostics;
using System.Net;
using Hipnat.Runtime.Netlink;
using Hipnat.Runtime.Tests.Support;

namespace Hipnat.Runtime.Tests;

/// <summary>The rtnetlink monitor in a network namespace of its own, changed with iproute2.</summary>
public sealed class AddressMonitorTests
{
    private static readonly TimeSpan ReportWithin = TimeSpan.FromSeconds(1);

    private static readonly IPAddress V4 = IPAddress.Parse("192.0.2.10");

    private static readonly IPAddress V6 = IPAddress.Parse("2001:db8::20");

    [Fact]
    public void ReportsAddressesAsTheyAppearAndGoAway()
    {
        Assert.SkipUnless(TestNetNamespace.IsSupported, "network namespaces need root and iproute2; CI runs as root");
        using var ns = TestNetNamespace.Create();
        using var reports = new SnapshotReports();
        using var monitor = ns.Invoke(() => new AddressMonitor(TimeSpan.FromMilliseconds(50)));
        Assert.Equal(["lo"], monitor.Snapshot.Links.Select(l => l.Name));
        monitor.Changed += reports.Add;
        monitor.Start();

        AddLink(ns, "d0");
        ns.Ip("addr", "add", "192.0.2.10/24", "dev", "d0");
        var s = reports.WaitFor(s => Usable(s, "d0").Contains(V4), ReportWithin, "192.0.2.10 usable on d0");
        Assert.Same(s, monitor.Snapshot);

        // nodad: usable at once (the tentative path is in NetlinkParserTests and the DAD test below).
        ns.Ip("addr", "add", "2001:db8::20/64", "dev", "d0", "nodad");
        reports.WaitFor(s => Usable(s, "d0").Contains(V6), ReportWithin, "2001:db8::20 usable on d0");

        ns.Ip("addr", "del", "192.0.2.10/24", "dev", "d0");
        reports.WaitFor(s => !Usable(s, "d0").Contains(V4) && Usable(s, "d0").Contains(V6), ReportWithin, "192.0.2.10 gone, 2001:db8::20 kept");

        ns.Ip("addr", "add", "192.0.2.11/24", "dev", "d0");
        reports.WaitFor(s => Usable(s, "d0").Contains(IPAddress.Parse("192.0.2.11")), ReportWithin, "192.0.2.11 usable on d0");

        // Without a carrier (the veth's peer is down: no IFF_RUNNING, operstate lower-layer-down) d0 is not usable.
        ns.Ip("link", "set", "d0p", "down");
        var noCarrier = reports.WaitFor(s => s.Links.Any(l => l.Name == "d0" && !l.IsUp), ReportWithin, "d0 without carrier");
        Assert.DoesNotContain(noCarrier.UsableInterfaces(), i => i.Name == "d0");
        Assert.Contains(noCarrier.Addresses, a => a.Address.Equals(IPAddress.Parse("192.0.2.11")));
        ns.Ip("link", "set", "d0p", "up");
        reports.WaitFor(s => Usable(s, "d0").Contains(IPAddress.Parse("192.0.2.11")), ReportWithin, "d0 usable again");

        // A link that is down gives no usable addresses, whether or not the kernel keeps them on it.
        ns.Ip("link", "set", "d0", "down");
        var down = reports.WaitFor(s => s.Links.Any(l => l.Name == "d0" && !l.IsUp), ReportWithin, "d0 down");
        Assert.DoesNotContain(down.UsableInterfaces(), i => i.Name == "d0");
        Assert.Equal(0, monitor.MalformedMessages);

        var stop = Stopwatch.StartNew();
        monitor.Dispose();
        Assert.True(stop.Elapsed < TimeSpan.FromSeconds(1), $"Dispose took {stop.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public void TentativeAddressesBecomeUsableWhenDuplicateAddressDetectionCompletes()
    {
        Assert.SkipUnless(TestNetNamespace.IsSupported, "network namespaces need root and iproute2; CI runs as root");
        using var ns = TestNetNamespace.Create();
        using var reports = new SnapshotReports();
        using var monitor = ns.Invoke(() => new AddressMonitor(TimeSpan.FromMilliseconds(20)));
        monitor.Changed += reports.Add;
        monitor.Start();

        // A veth pair runs DAD (RFC 4862 §5.4: one probe, about a second).
        AddLink(ns, "v0");
        reports.WaitFor(s => s.LinkOf(s.Links.First(l => l.Name == "v0").Index)!.IsUp, TimeSpan.FromSeconds(2), "v0 up");

        var address = IPAddress.Parse("2001:db8::10");
        ns.Ip("addr", "add", "2001:db8::10/64", "dev", "v0");
        var tentative = reports.WaitFor(s => s.Addresses.Any(a => a.Address.Equals(address)), ReportWithin, "2001:db8::10 listed");
        var a = tentative.Addresses.Single(a => a.Address.Equals(address));
        Assert.True(a.IsTentative, a.ToString());
        Assert.DoesNotContain(address, Usable(tentative, "v0"));

        reports.WaitFor(s => Usable(s, "v0").Contains(address), TimeSpan.FromSeconds(5), "2001:db8::10 usable after DAD");
    }

    [Fact]
    public void RapidChangesAreDebouncedIntoFewReports()
    {
        Assert.SkipUnless(TestNetNamespace.IsSupported, "network namespaces need root and iproute2; CI runs as root");
        using var ns = TestNetNamespace.Create();
        AddLink(ns, "d0");
        using var reports = new SnapshotReports();
        using var monitor = ns.Invoke(() => new AddressMonitor(TimeSpan.FromMilliseconds(50)));
        monitor.Changed += reports.Add;
        monitor.Start();

        // Ten address changes from one process, microseconds apart.
        var addresses = Enumerable.Range(1, 10).Select(i => IPAddress.Parse($"198.18.0.{i}")).ToList();
        ns.IpBatch(addresses.Select(a => $"addr add {a}/32 dev d0"));
        reports.WaitFor(s => addresses.All(Usable(s, "d0").Contains), ReportWithin, "all ten addresses");
        Thread.Sleep(300);
        Assert.InRange(reports.Count, 1, 2);
    }

    [Fact]
    public void AStormOfChangesStillReportsWithinTheMaximumDelay()
    {
        Assert.SkipUnless(TestNetNamespace.IsSupported, "network namespaces need root and iproute2; CI runs as root");
        using var ns = TestNetNamespace.Create();
        AddLink(ns, "d0");
        using var reports = new SnapshotReports();
        using var monitor = ns.Invoke(() => new AddressMonitor(TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(600)));
        monitor.Changed += reports.Add;
        monitor.Start();

        // A change every 100 ms for 2 s: never 300 ms of quiet, yet reports come at least every 600 ms.
        var start = reports.Now;
        for (int i = 1; i <= 20; i++)
        {
            ns.Ip("addr", "add", $"198.18.1.{i}/32", "dev", "d0");
            Thread.Sleep(100);
        }

        var during = reports.Count;
        var elapsed = reports.Now - start;
        Assert.True(during >= 2, $"{during} report(s) during a storm of {elapsed.TotalMilliseconds:0} ms");
        Assert.True(during <= 8, $"{during} reports for 20 changes");
        reports.WaitFor(s => Usable(s, "d0").Contains(IPAddress.Parse("198.18.1.20")), ReportWithin, "the last address");
    }

    [Fact]
    public void TheStartUpReadSeesTheSameAsTheMonitor()
    {
        Assert.SkipUnless(TestNetNamespace.IsSupported, "network namespaces need root and iproute2; CI runs as root");
        using var ns = TestNetNamespace.Create();
        AddLink(ns, "d0");
        ns.Ip("addr", "add", "192.0.2.10/24", "dev", "d0");
        ns.Ip("addr", "add", "2001:db8::20/64", "dev", "d0", "nodad");
        var (once, monitored) = ns.Invoke(() =>
        {
            using var monitor = new AddressMonitor();
            return (AddressMonitor.ReadSnapshot(), monitor.Snapshot);
        });
        Assert.True(once.SameAs(monitored), $"{once} / {monitored}");
        Assert.Equal([V4, V6], Usable(once, "d0"));
    }

    /// <summary>
    /// A veth pair NAME / NAMEp, both up (this kernel may lack dummy interfaces), without IPv6 link-local addresses,
    /// whose DAD would otherwise report a change a second later.
    /// </summary>
    private static void AddLink(TestNetNamespace ns, string name)
    {
        ns.Ip("link", "add", name, "type", "veth", "peer", "name", name + "p");
        ns.Ip("link", "set", name, "addrgenmode", "none");
        ns.Ip("link", "set", name + "p", "addrgenmode", "none");
        ns.Ip("link", "set", name + "p", "up");
        ns.Ip("link", "set", name, "up");
    }

    private static List<IPAddress> Usable(InterfaceSnapshot s, string name) =>
        s.UsableInterfaces().Where(i => i.Name == name).SelectMany(i => i.Addresses).ToList();
}
