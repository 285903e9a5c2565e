using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Packets;

namespace Hipnat.Core.Tests;

/// <summary>Every relayed control packet type counts against its client's bucket; other clients keep theirs.</summary>
public sealed class RelayLimitTests
{
    [Fact]
    public void FloodTowardsOneClientIsLimitedAndTheOtherClientIsUnaffected()
    {
        var t = new RelayTopology(registrar: new RegistrarOptions
        {
            AllowAnyone = true,
            RelayedControlPerSecond = 10,
            RelayedControlBurst = 20,
        });
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10)));
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));
        var relay = t.Relay.Host;
        var at = TransportAddress.Udp(RelayTopology.RelayAddress, 10500);
        var flooder = TransportAddress.Udp(IPAddress.Parse("203.0.113.99"), 40000);
        var attackerHit = SimPair.IdentityA.Hit;
        long relayedBefore = relay.Counters.Relayed;
        var start = t.Sim.Now;

        // 100 UPDATEs, NOTIFYs and CLOSEs towards B within one second: burst 20 + 10/s get through.
        HipPacketType[] types = [HipPacketType.Update, HipPacketType.Notify, HipPacketType.Close];
        for (int i = 0; i < 100; i++)
        {
            relay.HandleDatagram(at, flooder, Packet(types[i % 3], attackerHit, t.B.Host.LocalHit), start + TimeSpan.FromMilliseconds(i * 10));
        }

        long limited = relay.Counters.Dropped(DropReason.RelayRateLimited);
        long relayedToB = relay.Counters.Relayed - relayedBefore;
        Assert.Equal(100, relayedToB + limited);
        Assert.InRange(relayedToB, 20, 31);
        Assert.True(limited >= 69);

        // A's bucket is untouched: its 20 packets within the same second are all relayed.
        long relayedNow = relay.Counters.Relayed;
        for (int i = 0; i < 20; i++)
        {
            relay.HandleDatagram(at, flooder, Packet(types[i % 3], attackerHit, t.A.Host.LocalHit), start + TimeSpan.FromSeconds(1));
        }

        Assert.Equal(20, relay.Counters.Relayed - relayedNow);
        Assert.Equal(limited, relay.Counters.Dropped(DropReason.RelayRateLimited));

        // B's bucket refills with time.
        relay.HandleDatagram(at, flooder, Packet(HipPacketType.Update, attackerHit, t.B.Host.LocalHit), start + TimeSpan.FromSeconds(3));
        Assert.Equal(21, relay.Counters.Relayed - relayedNow);
    }

    [Fact]
    public void AnI1FromARegisteredClientGetsThroughWhileI1sFromElsewhereFloodItsTarget()
    {
        var t = new RelayTopology();
        Assert.True(t.Register(t.A, TimeSpan.FromMinutes(10)));
        Assert.True(t.Register(t.B, TimeSpan.FromMinutes(10)));
        var relay = t.Relay.Host;
        var at = TransportAddress.Udp(RelayTopology.RelayAddress, 10500);
        var flooder = TransportAddress.Udp(IPAddress.Parse("203.0.113.99"), 40000);
        var aAddress = relay.GetRegisteredClient(t.A.Host.LocalHit)!.ClientAddress;
        var start = t.Sim.Now;

        // 1,000 I1s towards B from a spoofed source within 100 ms: B's bucket (burst 40) is spent.
        for (int i = 0; i < 1000; i++)
        {
            relay.HandleDatagram(at, flooder, Packet(HipPacketType.I1, SimPair.IdentityB.Hit, t.B.Host.LocalHit), start + TimeSpan.FromTicks(i * 1000));
        }

        // A few more at the moment A sends: whatever B's bucket regained meanwhile is spent.
        var now = start + TimeSpan.FromMilliseconds(100);
        for (int i = 0; i < 10; i++)
        {
            relay.HandleDatagram(at, flooder, Packet(HipPacketType.I1, SimPair.IdentityB.Hit, t.B.Host.LocalHit), now);
        }

        long limited = relay.Counters.Dropped(DropReason.RateLimited);
        Assert.True(limited >= 900, $"{limited} rate-limited");

        // A, a registered client, sends its I1 towards B from the address it registered from: relayed, from A's bucket.
        long relayed = relay.Counters.Relayed;
        relay.HandleDatagram(at, aAddress, Packet(HipPacketType.I1, t.A.Host.LocalHit, t.B.Host.LocalHit), now);
        Assert.Equal(relayed + 1, relay.Counters.Relayed);
        Assert.Equal(limited, relay.Counters.Dropped(DropReason.RateLimited));

        // A's HIT from another address (a spoofed I1 claiming to be A) still spends B's bucket: dropped.
        relay.HandleDatagram(at, flooder, Packet(HipPacketType.I1, t.A.Host.LocalHit, t.B.Host.LocalHit), now);
        Assert.Equal(relayed + 1, relay.Counters.Relayed);
        Assert.Equal(limited + 1, relay.Counters.Dropped(DropReason.RateLimited));
    }

    /// <summary>A bare, unsigned control packet with the RFC 9028 §5.1 marker: enough for the relay to forward it.</summary>
    private static byte[] Packet(HipPacketType type, Hit sender, Hit receiver)
    {
        var buf = new byte[4 + 64];
        var b = new HipPacketBuilder(buf.AsSpan(4), type, sender, receiver);
        int len = b.Finish();
        return buf[..(4 + len)];
    }
}
