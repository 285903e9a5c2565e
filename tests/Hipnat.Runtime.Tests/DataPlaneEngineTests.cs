using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Hipnat.DataPlane.Beet;
using Hipnat.Runtime.DataPlane;
using Hipnat.Wire;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// The data plane's packet path with two engines back to back (real HIP cores for the keys and the rekey, no TUN
/// device, no sockets): what one host's stack writes to the interface comes out of the other's, with the inner
/// header rebuilt for the receiver's HITs or LSIs.
/// </summary>
public sealed class DataPlaneEngineTests
{
    [Theory]
    [InlineData((ushort)13)]
    [InlineData((ushort)8)]
    [InlineData((ushort)9)]
    public void Ipv6PacketsBetweenHitsRoundTrip(ushort suite)
    {
        using var pair = new DataPlaneTestPair([suite]);
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        Assert.Equal(suite == 13 ? "AES-128-GCM-16" : suite == 8 ? "AES-128-CBC/HMAC-SHA-256-128" : "AES-256-CBC/HMAC-SHA-256-128",
            a.Engine.Sad.GetPairs(b.Hit).Single().Outbound.Transform.Name);

        var data = new byte[1000];
        new Random(1).NextBytes(data);
        var udp = DataPlanePackets.Udp6(a.Hit, b.Hit, 40000, 5000, data);
        a.Send(udp);
        var syn = DataPlanePackets.Tcp6Syn(a.Hit, b.Hit, 40001, 22);
        a.Send(syn);
        var echo = DataPlanePackets.Echo6(a.Hit, b.Hit, 7, 1);
        a.Send(echo);
        pair.DeliverEsp();

        Assert.Equal(3, b.Received.Count);
        foreach (var sent in new[] { udp, syn, echo })
        {
            Assert.True(b.Received.TryDequeue(out var got));
            Assert.Equal(sent, got); // same HITs, same header fields, same checksum: byte-identical
            Assert.True(DataPlanePackets.TransportChecksumValid(got));
        }

        // And back.
        var reply = DataPlanePackets.Udp6(b.Hit, a.Hit, 5000, 40000, data.AsSpan(0, 10));
        b.Send(reply);
        pair.DeliverEsp();
        Assert.True(a.Received.TryDequeue(out var back));
        Assert.Equal(reply, back);
        Assert.Equal(4, a.Engine.PacketsOut + b.Engine.PacketsOut);
        Assert.Equal(0, AllDrops(a.Engine) + AllDrops(b.Engine));
    }

    [Fact]
    public void Ipv4PacketsBetweenLsisRoundTripWithTheReceiversLsisAndChecksums()
    {
        using var pair = new DataPlaneTestPair();
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        uint bAtA = a.LsiOf(b);
        uint aAtB = b.LsiOf(a);
        Assert.NotEqual(0u, bAtA);
        Assert.NotEqual(0u, aAtB);
        Assert.True(DataPlaneTestPair.LsiNetwork.Contains(BeetPacket.FromLsi(bAtA)));

        // ICMP names its family: an echo to B's LSI arrives at B as IPv4 between B's LSIs.
        a.Send(DataPlanePackets.Echo4(a.Engine.LocalLsi, bAtA, 9, 1));
        pair.DeliverEsp();
        Assert.True(b.Received.TryDequeue(out var echo));
        var inner = Parse(echo);
        Assert.False(inner.IsIpv6);
        Assert.Equal(aAtB, inner.SourceLsi);
        Assert.Equal(b.Engine.LocalLsi, inner.DestinationLsi);
        Assert.Equal(BeetPacket.ProtocolIcmp, inner.Protocol);
        Assert.True(DataPlanePackets.TransportChecksumValid(echo));

        // UDP to a port where only an IPv4 socket listens (the first packet of a flow B never used): IPv4.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        ushort port = (ushort)((IPEndPoint)listener.LocalEndPoint!).Port;
        var data = "over LSIs"u8.ToArray();
        a.Send(DataPlanePackets.Udp4(a.Engine.LocalLsi, bAtA, 41000, port, data));
        pair.DeliverEsp();
        Assert.True(b.Received.TryDequeue(out var udp));
        inner = Parse(udp);
        Assert.False(inner.IsIpv6);
        Assert.Equal(aAtB, inner.SourceLsi);
        Assert.True(DataPlanePackets.TransportChecksumValid(udp), "UDP checksum not converted to B's LSIs");
        Assert.Equal(data, DataPlanePackets.Transport(udp)[8..]);

        // B answers on the same flow over IPv4; A delivers it as IPv4 too (it sent that flow over IPv4).
        b.Send(DataPlanePackets.Udp4(b.Engine.LocalLsi, aAtB, port, 41000, "back"u8));
        pair.DeliverEsp();
        Assert.True(a.Received.TryDequeue(out var back));
        inner = Parse(back);
        Assert.False(inner.IsIpv6);
        Assert.Equal(bAtA, inner.SourceLsi);
        Assert.Equal(a.Engine.LocalLsi, inner.DestinationLsi);
        Assert.True(DataPlanePackets.TransportChecksumValid(back));

        // A TCP SYN to a port nobody listens on with IPv4 goes to the HIT (an IPv6 socket can answer it).
        a.Send(DataPlanePackets.Tcp6Syn(a.Hit, b.Hit, 41001, 1));
        pair.DeliverEsp();
        Assert.True(b.Received.TryDequeue(out var syn));
        Assert.True(Parse(syn).IsIpv6);
        Assert.Equal(0, AllDrops(a.Engine) + AllDrops(b.Engine));
    }

    [Fact]
    public void Ipv4FragmentsBetweenLsisArriveWithTheirFragmentFieldsAndReassembleAtTheReceiver()
    {
        using var pair = new DataPlaneTestPair();
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        uint bAtA = a.LsiOf(b);
        uint aAtB = b.LsiOf(a);

        // A 3000-octet UDP datagram without DF, fragmented by A's stack to the 1400-octet tunnel MTU.
        var data = new byte[3000];
        new Random(3).NextBytes(data);
        var whole = DataPlanePackets.Udp4(a.Engine.LocalLsi, bAtA, 42000, 5001, data);
        var fragments = DataPlanePackets.Fragment4(whole, 1400, identification: 0x4242);
        Assert.Equal(3, fragments.Count);
        foreach (var f in fragments)
        {
            a.Send(f);
        }

        pair.DeliverEsp();
        Assert.Equal(3, b.Received.Count);
        var reassembled = new byte[whole.Length - BeetPacket.Ipv4HeaderLength];
        for (int i = 0; i < fragments.Count; i++)
        {
            Assert.True(b.Received.TryDequeue(out var got));
            var inner = Parse(got);
            var sent = Parse(fragments[i]);
            Assert.False(inner.IsIpv6);
            Assert.True(inner.IsFragment);
            Assert.Equal(aAtB, inner.SourceLsi);
            Assert.Equal(b.Engine.LocalLsi, inner.DestinationLsi);
            Assert.Equal(0x4242, inner.Identification);
            Assert.Equal(sent.FlagsAndOffset, inner.FlagsAndOffset);
            Assert.Equal(BeetPacket.ProtocolUdp, inner.Protocol);
            Assert.Equal(0, InternetChecksum.Compute(got.AsSpan(0, BeetPacket.Ipv4HeaderLength)));
            DataPlanePackets.Transport(got).CopyTo(reassembled, inner.FragmentOffset);
        }

        // B's stack reassembles a datagram whose checksum is valid for B's LSIs.
        var atB = new byte[BeetPacket.Ipv4HeaderLength + reassembled.Length];
        BeetPacket.WriteIpv4Header(atB, aAtB, b.Engine.LocalLsi, BeetPacket.ProtocolUdp, reassembled.Length);
        reassembled.CopyTo(atB, BeetPacket.Ipv4HeaderLength);
        Assert.True(DataPlanePackets.TransportChecksumValid(atB), "the first fragment's checksum was not converted to B's LSIs");
        Assert.Equal(data, reassembled[8..]);
        Assert.Equal(0, AllDrops(a.Engine) + AllDrops(b.Engine));
    }

    [Fact]
    public void ARouteToAnUnverifiedAddressCarriesNoMoreThanThePeerSent()
    {
        // RFC 8046 §5.6.1: B's route to A is not verified yet; A's five packets earned B credit for about five of
        // the same size, the rest are dropped and counted, and once the route is verified everything goes again.
        using var pair = new DataPlaneTestPair();
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        uint bAtA = a.LsiOf(b);
        uint aAtB = b.LsiOf(a);
        for (ushort i = 0; i < 5; i++)
        {
            a.Send(DataPlanePackets.Echo4(a.Engine.LocalLsi, bAtA, 9, i));
        }

        pair.DeliverEsp();
        Assert.Equal(5, b.Received.Count);
        b.Engine.SetRoute(a.Hit, b.Address, a.Address, relayed: false, creditLimited: true);
        for (ushort i = 0; i < 10; i++)
        {
            b.Send(DataPlanePackets.Echo4(b.Engine.LocalLsi, aAtB, 9, i));
        }

        pair.DeliverEsp();
        Assert.InRange(a.Received.Count, 5, 6);
        Assert.Equal(10 - a.Received.Count, b.Engine.Dropped(DataPlaneDrop.NoCredit));

        a.Received.Clear();
        b.Engine.SetRoute(a.Hit, b.Address, a.Address, relayed: false, creditLimited: false);
        for (ushort i = 0; i < 10; i++)
        {
            b.Send(DataPlanePackets.Echo4(b.Engine.LocalLsi, aAtB, 9, i));
        }

        pair.DeliverEsp();
        Assert.Equal(10, a.Received.Count);
    }

    [Fact]
    public void WrongSpiAndBadIcvAreDroppedAndCounted()
    {
        using var pair = new DataPlaneTestPair(options: o => o with { UnknownSpiHold = TimeSpan.FromMilliseconds(100) });
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        a.RecordEsp = true;
        a.Send(DataPlanePackets.Udp6(a.Hit, b.Hit, 1, 2, new byte[100]));
        var good = a.SentEsp.Single();

        // Unknown SPI: held briefly in case its SA is about to be installed, then counted.
        var wrongSpi = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(wrongSpi, 0x0BAD_0BAD);
        Assert.True(b.Engine.TryReceive(wrongSpi));
        pair.Advance(TimeSpan.FromSeconds(1));
        pair.Tick();
        Assert.Equal(1, b.Engine.Dropped(DataPlaneDrop.UnknownSpi));

        // A flipped ciphertext bit fails the ICV; nothing reaches the stack, the SA's counter says why.
        var tampered = (byte[])good.Clone();
        tampered[^20] ^= 0x01;
        Assert.True(b.Engine.TryReceive(tampered));
        Assert.Equal(1, b.Engine.Dropped(DataPlaneDrop.IntegrityCheckFailed));

        // The authentic packet still passes once, and its replay is dropped.
        Assert.True(b.Engine.TryReceive(good));
        Assert.True(b.Engine.TryReceive(good));
        Assert.Equal(1, b.Engine.Dropped(DataPlaneDrop.Replayed));
        Assert.Single(b.Received);

        // Garbage shorter than an ESP header.
        Assert.True(b.Engine.TryReceive(new byte[] { 1, 2, 3, 4, 5 }));
        Assert.Equal(1, b.Engine.Dropped(DataPlaneDrop.Malformed));

        var sa = b.Engine.BuildReport("test0", 1400).Peers.Single().SecurityAssociations.Single();
        Assert.Equal(1, sa.IcvDrops);
        Assert.Equal(1, sa.ReplayDrops);
        Assert.Equal(1, sa.PacketsIn);
    }

    [Fact]
    public void AnUnknownSpiIsLeftToTheCoreWhenTheHostRelaysEsp()
    {
        using var pair = new DataPlaneTestPair();
        pair.B.Engine.PassUnknownSpiToCore = true;
        var datagram = new byte[64];
        BinaryPrimitives.WriteUInt32BigEndian(datagram, 0x1234_5678);
        Assert.False(pair.B.Engine.TryReceive(datagram));
        Assert.Equal(0, pair.B.Engine.Dropped(DataPlaneDrop.UnknownSpi));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ARekeyUnderASteadyStreamLosesNothing(bool initiatorRekeys)
    {
        using var pair = new DataPlaneTestPair();
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        var oldAtA = a.Engine.Sad.GetPairs(b.Hit).Single().Inbound.Spi;
        var oldAtB = b.Engine.Sad.GetPairs(a.Hit).Single().Inbound.Spi;
        int sent = 0;
        void Step()
        {
            // One packet each way, sealed now and delivered after the next control packet: ESP is in flight
            // while the SAs change at both ends.
            var seq = BitConverter.GetBytes(sent++);
            a.Send(DataPlanePackets.Udp6(a.Hit, b.Hit, 1000, 2000, seq));
            b.Send(DataPlanePackets.Udp6(b.Hit, a.Hit, 2000, 1000, seq));
        }

        for (int i = 0; i < 20; i++)
        {
            Step();
            pair.DeliverEsp();
        }

        var (rekeying, other) = initiatorRekeys ? (a, b) : (b, a);
        Assert.True(rekeying.Host.Rekey(other.Hit, pair.Now));
        do
        {
            // Delivered before the next control packet: the side that switched first reaches one that has not yet
            // installed the new SA (held until it is). Then sealed before and delivered after a control packet: old
            // SPIs in flight across the switch (accepted during the grace period).
            Step();
            pair.DeliverEsp();
            Step();
        }
        while (PumpThenDeliver(pair));

        for (int i = 0; i < 20; i++)
        {
            Step();
            pair.DeliverEsp();
        }

        // New SAs at both ends, the old ones still there for their grace period.
        Assert.Equal(2, a.Engine.Sad.GetPairs(b.Hit).Length);
        Assert.True(a.Engine.Sad.TryGetActivePair(b.Hit, out var activeAtA));
        Assert.NotEqual(oldAtA, activeAtA.Inbound.Spi);
        Assert.True(b.Engine.Sad.TryGetActivePair(a.Hit, out var activeAtB));
        Assert.NotEqual(oldAtB, activeAtB.Inbound.Spi);
        Assert.True(activeAtA.Inbound.Packets > 0 && activeAtB.Inbound.Packets > 0, "nothing travelled on the new SAs");

        // Nothing lost, nothing duplicated, in order.
        Assert.Equal(sent, a.Received.Count);
        Assert.Equal(sent, b.Received.Count);
        int expected = 0;
        foreach (var p in b.Received)
        {
            Assert.Equal(expected++, BitConverter.ToInt32(DataPlanePackets.Transport(p), 8));
        }

        Assert.Equal(0, AllDrops(a.Engine) + AllDrops(b.Engine));

        // After the grace period only the new pair is left.
        pair.Advance(TimeSpan.FromSeconds(6));
        pair.Tick();
        Assert.Equal(activeAtA.Inbound.Spi, a.Engine.Sad.GetPairs(b.Hit).Single().Inbound.Spi);
        Assert.Equal(activeAtB.Inbound.Spi, b.Engine.Sad.GetPairs(a.Hit).Single().Inbound.Spi);
        Step();
        pair.DeliverEsp();
        Assert.Equal(sent, b.Received.Count);
    }

    [Fact]
    public void AnSaNearItsLimitIsRekeyedByTheDaemonWithoutLoss()
    {
        using var pair = new DataPlaneTestPair(options: o => o with { SaPacketLimit = 50 });
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        var first = a.Engine.Sad.GetPairs(b.Hit).Single().Inbound.Spi;
        for (int i = 0; i < 60; i++)
        {
            a.Send(DataPlanePackets.Udp6(a.Hit, b.Hit, 1, 2, BitConverter.GetBytes(i)));
        }

        pair.DeliverEsp();
        a.Service.OnTurn(pair.Now); // the driver's periodic turn sees the limit and starts the rekey
        pair.Pump();
        Assert.True(a.Engine.Sad.TryGetActivePair(b.Hit, out var active));
        Assert.NotEqual(first, active.Inbound.Spi);
        a.Send(DataPlanePackets.Udp6(a.Hit, b.Hit, 1, 2, BitConverter.GetBytes(60)));
        pair.DeliverEsp();
        Assert.Equal(61, b.Received.Count);
        Assert.True(b.Engine.Sad.TryGetActivePair(a.Hit, out var atB));
        Assert.Equal(1UL, atB.Inbound.Packets); // the 61st went over the new SA
    }

    [Fact]
    public void AnSaPastItsByteLimitOrLifetimeIsRekeyed()
    {
        using var pair = new DataPlaneTestPair(options: o => o with { SaByteLimit = 2000, ReplayWindowSize = 4096 });
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        var first = a.Engine.Sad.GetPairs(b.Hit).Single().Inbound.Spi;
        for (int i = 0; i < 40; i++)
        {
            a.Send(DataPlanePackets.Udp6(a.Hit, b.Hit, 1, 2, new byte[64]));
        }

        pair.DeliverEsp();
        a.Service.OnTurn(pair.Now);
        pair.Pump();
        Assert.True(a.Engine.Sad.TryGetActivePair(b.Hit, out var active));
        Assert.NotEqual(first, active.Inbound.Spi);
        Assert.Equal(40, b.Received.Count);
    }

    [Fact]
    public void TheFirstPacketToAHitWithoutAssociationStartsTheBaseExchangeAndIsDelivered()
    {
        using var pair = new DataPlaneTestPair();
        var (a, b) = (pair.A, pair.B);
        for (int i = 0; i < 70; i++)
        {
            a.Send(DataPlanePackets.Udp6(a.Hit, b.Hit, 3000, 4000, BitConverter.GetBytes(i)));
        }

        Assert.Equal(64, a.Engine.QueuedPackets);
        Assert.Equal(6, a.Engine.Dropped(DataPlaneDrop.QueueFull));
        Assert.Equal(Core.Association.AssociationState.Unassociated, a.Host.GetState(b.Hit));

        pair.Pump(); // the driver's turn: Connect, base exchange, EspSaReady, flush
        Assert.Equal(1, a.Engine.OnDemandConnects);
        Assert.Equal(0, a.Engine.QueuedPackets);
        Assert.Equal(64, b.Received.Count);
        int expected = 0;
        foreach (var p in b.Received)
        {
            Assert.Equal(expected++, BitConverter.ToInt32(DataPlanePackets.Transport(p), 8));
        }
    }

    [Fact]
    public void TheFirstPacketToAnLsiStartsTheBaseExchange()
    {
        using var pair = new DataPlaneTestPair();
        var (a, b) = (pair.A, pair.B);
        a.Send(DataPlanePackets.Echo4(a.Engine.LocalLsi, a.LsiOf(b), 1, 1));
        pair.Pump();
        Assert.True(b.Received.TryDequeue(out var echo));
        Assert.Equal(b.LsiOf(a), Parse(echo).SourceLsi);
    }

    [Fact]
    public void PacketsToAHitWithoutLocatorAreDroppedAndCounted()
    {
        using var pair = new DataPlaneTestPair(knowEachOther: false);
        var a = pair.A;
        var stranger = Hit.Parse("2001:2a::1234");
        a.Send(DataPlanePackets.Udp6(a.Hit, stranger, 1, 2, new byte[8]));
        pair.Pump();
        Assert.Equal(1, a.Engine.Dropped(DataPlaneDrop.NoAssociation));
        a.Send(DataPlanePackets.Udp6(a.Hit, stranger, 1, 2, new byte[8]));
        Assert.Equal(2, a.Engine.Dropped(DataPlaneDrop.NoAssociation));
        Assert.Equal(0, a.Engine.OnDemandConnects);

        // An LSI nobody has, and traffic that is not for a HIT at all.
        a.Send(DataPlanePackets.Echo4(a.Engine.LocalLsi, BeetPacket.ToLsi(IPAddress.Parse("198.19.255.254")), 1, 1));
        Assert.Equal(1, a.Engine.Dropped(DataPlaneDrop.UnknownLsi));
        a.Send(DataPlanePackets.Udp6(a.Hit, Hit.FromIPAddress(IPAddress.Parse("ff02::16")), 1, 2, new byte[8]));
        Assert.Equal(1, a.Engine.Dropped(DataPlaneDrop.NotHip));
    }

    [Fact]
    public void ClosingTheAssociationRemovesTheSas()
    {
        using var pair = new DataPlaneTestPair();
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        a.Host.Close(b.Hit, pair.Now);
        pair.Pump();
        Assert.Empty(a.Engine.Sad.GetPairs(b.Hit));
        Assert.Empty(b.Engine.Sad.GetPairs(a.Hit));
        Assert.NotEqual(0u, a.LsiOf(b)); // the LSI stays
    }

    [Fact]
    public void TheStatusReportListsPeersLsisAndSaTraffic()
    {
        using var pair = new DataPlaneTestPair();
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        a.Send(DataPlanePackets.Udp6(a.Hit, b.Hit, 1, 2, new byte[100]));
        pair.DeliverEsp();
        var report = a.Engine.BuildReport("test0", 1400);
        Assert.Equal("198.19.0.1", report.LocalLsi);
        Assert.Equal("198.19.0.0/16", report.LsiNetwork);
        var peer = report.Peers.Single();
        Assert.Equal(b.Hit.ToString(), peer.Hit);
        Assert.Equal(BeetPacket.FromLsi(a.LsiOf(b)).ToString(), peer.Lsi);
        Assert.Equal(b.Address.ToString(), peer.Peer);
        var sa = peer.SecurityAssociations.Single();
        Assert.True(sa.Active);
        Assert.Equal("AES-128-GCM-16", sa.Transform);
        Assert.Equal(1, sa.PacketsOut);
        Assert.Equal(108, sa.BytesOut);
        Assert.Equal(1, report.PacketsOut);
    }

    [Fact]
    public void AFixedListenerAnswerChoosesTheFamilyOfAFlowThePeerOpensWithASmallFlowTable()
    {
        // Only port 5000 has an IPv4-only listener, whatever the host's sockets are.
        using var pair = new DataPlaneTestPair(options: o => o with { FlowTableBits = 4, PrefersIpv4 = static (protocol, port) => protocol == 17 && port == 5000 });
        pair.Connect();
        var (a, b) = (pair.A, pair.B);
        uint bAtA = a.LsiOf(b);
        uint aAtB = b.LsiOf(a);

        a.Send(DataPlanePackets.Udp4(a.Engine.LocalLsi, bAtA, 41000, 5000, "to v4"u8.ToArray()));
        pair.DeliverEsp();
        Assert.True(b.Received.TryDequeue(out var v4));
        var inner = Parse(v4);
        Assert.False(inner.IsIpv6);
        Assert.Equal(aAtB, inner.SourceLsi);
        Assert.True(DataPlanePackets.TransportChecksumValid(v4));

        a.Send(DataPlanePackets.Udp4(a.Engine.LocalLsi, bAtA, 41000, 5002, "to v6"u8.ToArray()));
        pair.DeliverEsp();
        Assert.True(b.Received.TryDequeue(out var v6));
        inner = Parse(v6);
        Assert.True(inner.IsIpv6);
        Assert.Equal(a.Hit, inner.SourceHit);
        Assert.True(DataPlanePackets.TransportChecksumValid(v6));
        Assert.Equal(0, AllDrops(a.Engine) + AllDrops(b.Engine));
    }

    private static InnerPacket Parse(byte[] packet)
    {
        Assert.True(BeetPacket.TryParse(packet, out var inner));
        return inner;
    }

    private static bool PumpThenDeliver(DataPlaneTestPair pair)
    {
        bool moved = pair.PumpOne();
        pair.DeliverEsp();
        return moved;
    }

    private static long AllDrops(DataPlaneEngine engine) => Enum.GetValues<DataPlaneDrop>().Sum(engine.Dropped);
}
