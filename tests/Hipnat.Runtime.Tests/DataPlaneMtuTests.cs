using System.Buffers.Binary;
using Hipnat.Runtime.DataPlane;
using Hipnat.Runtime.Tests.Support;

namespace Hipnat.Runtime.Tests;

/// <summary>Packets longer than the tunnel MTU are answered with ICMP "too big" into the local stack, not sent.</summary>
public sealed class DataPlaneMtuTests
{
    [Fact]
    public void AnOversizeIpv6PacketGetsPacketTooBigWithTheTunnelMtu()
    {
        using var pair = new DataPlaneTestPair(options: o => o with { Mtu = 1400 });
        pair.Connect();
        var (a, b) = (pair.A, pair.B);

        var big = DataPlanePackets.Udp6(a.Hit, b.Hit, 40000, 5000, new byte[1500 - 48]);
        Assert.Equal(1500, big.Length);
        a.Send(big);
        pair.DeliverEsp();

        Assert.Empty(b.Received);
        Assert.Equal(1, a.Engine.Dropped(DataPlaneDrop.TooBig));
        Assert.True(a.Received.TryDequeue(out var icmp));
        Assert.Equal(6, icmp[0] >> 4);
        Assert.Equal(58, icmp[6]);                                          // ICMPv6
        Assert.Equal(2, icmp[40]);                                          // Packet Too Big (RFC 4443 §3.2)
        Assert.Equal(1400u, BinaryPrimitives.ReadUInt32BigEndian(icmp.AsSpan(44)));
        Assert.Equal(b.Hit, new Wire.Hit(icmp.AsSpan(8, 16)));               // from the destination the packet was for
        Assert.Equal(a.Hit, new Wire.Hit(icmp.AsSpan(24, 16)));

        // A packet that fits still goes through.
        var fits = DataPlanePackets.Udp6(a.Hit, b.Hit, 40000, 5000, new byte[1400 - 48]);
        a.Send(fits);
        pair.DeliverEsp();
        Assert.True(b.Received.TryDequeue(out var got));
        Assert.Equal(fits, got);
    }

    [Fact]
    public void WithoutAnMtuNothingIsChecked()
    {
        using var pair = new DataPlaneTestPair();
        pair.Connect();
        var big = DataPlanePackets.Udp6(pair.A.Hit, pair.B.Hit, 40000, 5000, new byte[1500 - 48]);
        pair.A.Send(big);
        pair.DeliverEsp();
        Assert.Single(pair.B.Received);
        Assert.Equal(0, pair.A.Engine.Dropped(DataPlaneDrop.TooBig));
    }
}

/// <summary>NULL encryption (ESP suite 7) is used only when configured (RFC 7402 §3.3.5).</summary>
public sealed class DataPlaneNullEncryptionTests
{
    [Fact]
    public void SuiteSevenCarriesTrafficOnlyWhenAllowed()
    {
        using (var allowed = new DataPlaneTestPair([7], o => o with { AllowNullEncryption = true }))
        {
            allowed.Connect();
            var p = DataPlanePackets.Udp6(allowed.A.Hit, allowed.B.Hit, 1, 2, new byte[100]);
            allowed.A.Send(p);
            allowed.DeliverEsp();
            Assert.True(allowed.B.Received.TryDequeue(out var got));
            Assert.Equal(p, got);
            Assert.Equal("NULL/HMAC-SHA-256-128", allowed.A.Engine.Sad.GetPairs(allowed.B.Hit).Single().Outbound.Transform.Name);
        }

        // Without the local policy the base exchange completes but no SA is installed (RFC 7402 §3.3.5).
        using var refused = new DataPlaneTestPair([7]);
        refused.A.Host.Connect(refused.B.Hit, refused.Now);
        refused.Pump();
        Assert.False(refused.A.Engine.IsReady(refused.B.Hit));
        Assert.Empty(refused.A.Engine.Sad.GetPairs(refused.B.Hit));
    }
}
