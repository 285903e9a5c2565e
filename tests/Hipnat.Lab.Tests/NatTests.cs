using System.Net;

namespace Hipnat.Lab.Tests;

public class NatTests
{
    private const int EchoPort = 7000;

    [Fact]
    public void HostBehindMasqueradeReachesPublicHostWhichSeesTheNatsPublicAddress()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var server = lab.AddHost("server", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24");
        var inside = nat.AddHost("inside");
        using var echo = UdpEcho.Start(server, EchoPort);
        using var client = inside.OpenUdpSocket(40001);

        var seen = Udp.Probe(client, echo.Endpoint);

        Assert.NotNull(seen);
        Assert.Equal(nat.PublicAddress, seen.Address);
        Assert.NotEqual(inside.Address, seen.Address);
        Assert.Equal(40001, seen.Port); // MASQUERADE keeps a free source port
        var mapping = Assert.Single(nat.GetMappings(), m => m.Protocol == "udp");
        Assert.Equal(new IPEndPoint(nat.PublicAddress, 40001), mapping.MappedEndpoint);
        Assert.Equal(inside.Address, mapping.Original.Source);
    }

    [Fact]
    public void PublicHostCannotReachAPrivateAddressThroughTheNat()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var outsider = lab.AddHost("outsider", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24");
        var inside = nat.AddHost("inside");
        outsider.AddRoute(IPNetwork.Parse("198.18.1.0/24"), nat.PublicAddress);

        Assert.False(outsider.Ping(inside.Address, count: 2, TimeSpan.FromMilliseconds(300)).Reachable);
        Assert.True(inside.Ping(outsider.Address).AllReceived);
    }

    [Fact]
    public void EndpointIndependentMappingUsesOneExternalPortTowardsTwoDestinations()
    {
        LabRequirement.Root();
        var (one, two) = MappedPortsTowardsTwoServers(NatOptions.PortRestrictedCone);

        Assert.Equal(one, two);
    }

    [Fact]
    public void RandomFullyMappingUsesAnotherExternalPortPerDestination()
    {
        LabRequirement.Root();
        var (one, two) = MappedPortsTowardsTwoServers(NatOptions.Symmetric);

        Assert.NotEqual(one, two);
    }

    [Fact]
    public void AddressAndPortDependentFilteringAdmitsOnlyTheContactedEndpoint()
    {
        LabRequirement.Root();
        using var setup = FilteringSetup.Create(NatOptions.PortRestrictedCone);

        Assert.True(setup.ContactedEndpointGetsThrough());
        Assert.False(setup.ContactedAddressFromOtherPortGetsThrough());
        Assert.False(setup.StrangerGetsThrough());
    }

    [Fact]
    public void AddressDependentFilteringAdmitsAnyPortOfAContactedAddress()
    {
        LabRequirement.Root();
        using var setup = FilteringSetup.Create(NatOptions.RestrictedCone);

        Assert.True(setup.ContactedEndpointGetsThrough());
        Assert.True(setup.ContactedAddressFromOtherPortGetsThrough());
        Assert.False(setup.StrangerGetsThrough());
    }

    [Fact]
    public void EndpointIndependentFilteringAdmitsEveryone()
    {
        LabRequirement.Root();
        using var setup = FilteringSetup.Create(NatOptions.FullCone);

        Assert.True(setup.ContactedEndpointGetsThrough());
        Assert.True(setup.ContactedAddressFromOtherPortGetsThrough());
        Assert.True(setup.StrangerGetsThrough());
    }

    [Fact]
    public void FilteringCanBeChangedAtRunTime()
    {
        LabRequirement.Root();
        using var setup = FilteringSetup.Create(NatOptions.PortRestrictedCone);
        Assert.False(setup.StrangerGetsThrough());

        setup.Nat.Reconfigure(NatOptions.FullCone);

        Assert.True(setup.StrangerGetsThrough());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HairpinningDeliversInsideTrafficToThePublicAddressOnlyWhenOn(bool hairpinning)
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        lab.AddHost("relay", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24", NatOptions.PortRestrictedCone with { Hairpinning = hairpinning });
        var a = nat.AddHost("a");
        var b = nat.AddHost("b");
        using var aEcho = UdpEcho.Start(a, EchoPort);
        Assert.Same(a, nat.ExposedHost);

        // The emulation DNATs PUBLIC:7000 to a:7000 (port kept, as MASQUERADE keeps it on the way out).
        using var bClient = b.OpenUdpSocket(41000);
        var seen = Udp.Probe(bClient, new IPEndPoint(nat.PublicAddress, EchoPort), attempts: 2);

        if (hairpinning)
        {
            Assert.NotNull(seen);
            Assert.Equal(new IPEndPoint(nat.PublicAddress, 41000), seen);
        }
        else
        {
            Assert.Null(seen);
        }
    }

    [Fact]
    public void UnsolicitedPacketBeforeTheOutboundOneDoesNotSpoilPortPreservation()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var peer = lab.AddHost("peer", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24");
        var inside = nat.AddHost("inside");
        using var peerSocket = peer.OpenUdpSocket(EchoPort);
        using var client = inside.OpenUdpSocket(40003);

        // A hole-punching peer's first packet arrives before ours has left: dropped, and it leaves no conntrack
        // entry whose tuple would force our outbound mapping onto another port.
        peerSocket.SendTo("early"u8.ToArray(), new IPEndPoint(nat.PublicAddress, 40003));
        Assert.Null(Udp.Receive(client, TimeSpan.FromMilliseconds(300)));
        Assert.DoesNotContain(nat.GetConntrackEntries(), e => e.Original.DestinationPort == 40003);

        client.SendTo("punch"u8.ToArray(), new IPEndPoint(peer.Address, EchoPort));
        var buffer = new byte[64];
        System.Net.EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        peerSocket.ReceiveTimeout = 2000;
        peerSocket.ReceiveFrom(buffer, ref from);

        Assert.Equal(new IPEndPoint(nat.PublicAddress, 40003), from);
    }

    [Fact]
    public void ResetMappingsForgetsEveryTranslation()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var server = lab.AddHost("server", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24");
        var inside = nat.AddHost("inside");
        using var echo = UdpEcho.Start(server, EchoPort);
        using var client = inside.OpenUdpSocket();
        Assert.NotNull(Udp.Probe(client, echo.Endpoint));
        Assert.NotEmpty(nat.GetMappings());

        nat.ResetMappings();

        Assert.Empty(nat.GetMappings());
    }

    [Fact]
    public void UdpTimeoutsAreSetInTheNatsNamespace()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24", NatOptions.PortRestrictedCone with
        {
            UdpTimeout = TimeSpan.FromSeconds(7),
            UdpStreamTimeout = TimeSpan.FromSeconds(11),
        });

        Assert.Equal("7", nat.ReadSysctl("net.netfilter.nf_conntrack_udp_timeout"));
        Assert.Equal("11", nat.ReadSysctl("net.netfilter.nf_conntrack_udp_timeout_stream"));
    }

    [Fact]
    public void NestedNatsTranslateTwice()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var server = lab.AddHost("server", pub);
        var carrier = lab.AddNat("cgn", pub, "198.18.100.0/24");
        var home = lab.AddNat("home", carrier.InsideSegment, "198.18.1.0/24");
        var inside = home.AddHost("inside");
        using var echo = UdpEcho.Start(server, EchoPort);
        using var client = inside.OpenUdpSocket();

        var seen = Udp.Probe(client, echo.Endpoint);

        Assert.Equal(carrier.PublicAddress, seen?.Address);
        Assert.Equal(carrier.InsideSegment.Gateway, home.DefaultGateway);
    }

    [Fact]
    public void SymmetricMappingWithEmulatedFilteringIsRefused()
    {
        Assert.Throws<NotSupportedException>(() => (NatOptions.Symmetric with { Filtering = NatFiltering.EndpointIndependent }).Validate());
        Assert.Throws<NotSupportedException>(() => (NatOptions.Symmetric with { Hairpinning = true }).Validate());
    }

    private static (int One, int Two) MappedPortsTowardsTwoServers(NatOptions options)
    {
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var s1 = lab.AddHost("s1", pub);
        var s2 = lab.AddHost("s2", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24", options);
        var inside = nat.AddHost("inside");
        using var e1 = UdpEcho.Start(s1, EchoPort);
        using var e2 = UdpEcho.Start(s2, EchoPort);
        using var client = inside.OpenUdpSocket(40002);

        var one = Udp.Probe(client, e1.Endpoint);
        var two = Udp.Probe(client, e2.Endpoint);

        Assert.NotNull(one);
        Assert.NotNull(two);
        Assert.Equal(nat.PublicAddress, one.Address);
        Assert.Equal(nat.PublicAddress, two.Address);
        return (one.Port, two.Port);
    }

    /// <summary>
    /// inside (port 40000, behind the NAT) talks to peer:7000. Then peer:7001 (same address, other port) and
    /// stranger:7000 (other address) send unsolicited datagrams to the mapping.
    /// </summary>
    private sealed class FilteringSetup : IDisposable
    {
        private const int InsidePort = 40000;
        private readonly NetworkLab lab;
        private readonly System.Net.Sockets.Socket inside;
        private readonly System.Net.Sockets.Socket peerMain;
        private readonly System.Net.Sockets.Socket peerOther;
        private readonly System.Net.Sockets.Socket stranger;

        private FilteringSetup(NetworkLab lab, LabNat nat, LabHost insideHost, LabHost peer, LabHost strangerHost)
        {
            this.lab = lab;
            Nat = nat;
            inside = insideHost.OpenUdpSocket(InsidePort);
            peerMain = peer.OpenUdpSocket(EchoPort);
            peerOther = peer.OpenUdpSocket(EchoPort + 1);
            stranger = strangerHost.OpenUdpSocket(EchoPort);

            inside.SendTo("hello"u8.ToArray(), new IPEndPoint(peer.Address, EchoPort));
            var hello = Udp.Receive(peerMain, TimeSpan.FromSeconds(2));
            Assert.Equal("hello", hello);
        }

        public LabNat Nat { get; }

        private IPEndPoint Mapping => new(Nat.PublicAddress, InsidePort);

        public static FilteringSetup Create(NatOptions options)
        {
            var lab = NetworkLab.Create();
            try
            {
                var pub = lab.AddSegment("public", "203.0.113.0/24");
                var peer = lab.AddHost("peer", pub);
                var strangerHost = lab.AddHost("stranger", pub);
                var nat = lab.AddNat("nat", pub, "198.18.1.0/24", options);
                var insideHost = nat.AddHost("inside");
                return new FilteringSetup(lab, nat, insideHost, peer, strangerHost);
            }
            catch
            {
                lab.Dispose();
                throw;
            }
        }

        public bool ContactedEndpointGetsThrough() => Delivered(peerMain, "from-peer-main");

        public bool ContactedAddressFromOtherPortGetsThrough() => Delivered(peerOther, "from-peer-other");

        public bool StrangerGetsThrough() => Delivered(stranger, "from-stranger");

        public void Dispose()
        {
            inside.Dispose();
            peerMain.Dispose();
            peerOther.Dispose();
            stranger.Dispose();
            lab.Dispose();
        }

        private bool Delivered(System.Net.Sockets.Socket from, string text)
        {
            for (var i = 0; i < 2; i++)
            {
                from.SendTo(System.Text.Encoding.ASCII.GetBytes(text), Mapping);
                if (Udp.Receive(inside, TimeSpan.FromMilliseconds(500)) == text)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
