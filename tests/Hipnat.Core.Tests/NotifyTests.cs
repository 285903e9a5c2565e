using Hipnat.Core.Host;
using Hipnat.Wire;
using Hipnat.Wire.Packets;

namespace Hipnat.Core.Tests;

public class NotifyTests
{
    [Fact]
    public void A_notify_sent_by_the_api_is_well_formed_and_reaches_the_peer()
    {
        var p = new SimPair(3, null, id => new HipHostOptions { Identity = id, RandomSeed = 3 });
        p.Connect(p.A, p.B);
        Assert.True(p.RunUntilEstablished(TimeSpan.FromSeconds(60)));

        p.B.Invoke((h, now) => h.SendNotify(p.A.Host.LocalHit, 16384, "hello"u8, now));
        p.Sim.RunFor(TimeSpan.FromSeconds(1));

        // HOST_ID (705) goes before NOTIFICATION (832): RFC 7401 §5.2.1 ascending order, else the peer drops it.
        var notify = Assert.Single(p.A.Events.OfType<NotifyReceived>(), e => e.MessageType == 16384);
        Assert.Equal("hello"u8.ToArray(), notify.Data.ToArray());
    }

    [Fact]
    public void A_notify_without_association_parses()
    {
        var a = new HipHost(new HipHostOptions { Identity = Hipnat.Crypto.HostIdentity.Generate(Hipnat.Crypto.HostIdentityKind.EcdsaP256) });
        var peer = new Hit(0x2001_0020_0000_0000, 1);
        a.AddPeerLocator(peer, Transport.TransportAddress.Udp(System.Net.IPAddress.Parse("192.0.2.9"), 10500));
        a.SendNotify(peer, 16384, "x"u8, TimeSpan.FromSeconds(1));
        Assert.True(a.TryPollTransmit(out var t));
        Assert.Equal(WireError.None, HipPacket.TryParse(t.Payload[HipUdpFraming.HipControlOffset..], out var packet));
        Assert.Equal(HipPacketType.Notify, packet.Type);
    }
}
