using System.Buffers.Binary;
using System.Net;
using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary>The demo's time line from synthetic frames: NATed hops merge, a relay's copy is its own entry, duplicates go.</summary>
public class HipTimelineTests
{
    private static readonly IPAddress AliceHit = IPAddress.Parse("2001:22::a");
    private static readonly IPAddress BobHit = IPAddress.Parse("2001:22::b");
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Dictionary<IPAddress, string> Hits = new() { [AliceHit] = "alice", [BobHit] = "bob" };
    private static readonly Dictionary<IPAddress, TimelineNode> Nodes = new()
    {
        [IPAddress.Parse("198.18.1.10")] = new("alice", "alice LAN"),
        [IPAddress.Parse("198.18.2.10")] = new("bob", "bob LAN"),
        [IPAddress.Parse("203.0.113.10")] = new("relay", "public"),
        [IPAddress.Parse("203.0.113.11")] = new("nat1", "public", IsNat: true),
        [IPAddress.Parse("203.0.113.12")] = new("nat2", "public", IsNat: true),
    };

    [Fact]
    public void ADatagramSeenBeforeAndAfterANatIsOneEntryAndTheRelaysCopyAnother()
    {
        var i1 = Hip(1, AliceHit, BobHit);
        var relayed = Hip(1, AliceHit, BobHit, (HipParameterTypes.RelayFrom, TransportAddress("203.0.113.11", 10500)));
        var frames = new[]
        {
            Frame(0.0, "alice LAN", "198.18.1.10:10500", "203.0.113.10:10500", i1),
            Frame(0.1, "public", "203.0.113.11:10500", "203.0.113.10:10500", i1),
            Frame(0.1, "public", "203.0.113.11:10500", "203.0.113.10:10500", i1), // the same frame from a second capture
            Frame(0.5, "public", "203.0.113.10:10500", "203.0.113.12:10500", relayed),
            Frame(0.6, "bob LAN", "203.0.113.10:10500", "198.18.2.10:10500", relayed),
        };
        var timeline = new Timeline(frames, Hits, Nodes);

        Assert.Equal(2, timeline.Entries.Count);
        var first = timeline.Entries[0];
        Assert.Equal(["alice LAN", "public"], first.Hops.Select(h => h.Segment));
        Assert.Equal(("alice", "relay"), (first.From, first.To));
        Assert.True(first.IsForRelaying);
        Assert.False(first.IsForwarded);
        var second = timeline.Entries[1];
        Assert.Equal(("relay", "bob"), (second.From, second.To));
        Assert.True(second.IsForwarded);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.11"), 10500), second.Hip!.GetTransportAddress(HipParameterTypes.RelayFrom));
        Assert.True(second.Touches(new IPEndPoint(IPAddress.Parse("203.0.113.10"), 10500)));
        Assert.True(second.IsBetween("bob", "alice"));

        var text = timeline.Render(T0);
        Assert.Contains("I1 for bob", text, StringComparison.Ordinal);
        Assert.Contains("I1 from alice  RELAY_FROM 203.0.113.11:10500", text, StringComparison.Ordinal);
        Assert.Contains("198.18.1.10:10500 → 203.0.113.10:10500", text, StringComparison.Ordinal);
        Assert.Contains("203.0.113.10:10500 → 198.18.2.10:10500", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ADatagramANatDoesNotLetInOrThatHasNoRouteIsMarkedUndelivered()
    {
        var probe = Hip(16, AliceHit, BobHit);
        var other = Hip(16, AliceHit, BobHit, (HipParameterTypes.Seq, [0, 0, 0, 1]));
        var frames = new[]
        {
            Frame(0.0, "alice LAN", "198.18.1.10:10500", "203.0.113.12:10500", probe),
            Frame(0.1, "public", "203.0.113.11:10500", "203.0.113.12:10500", probe),
            Frame(0.2, "alice LAN", "198.18.1.10:10500", "198.18.2.10:10500", other),
        };

        var timeline = new Timeline(frames, Hits, Nodes);

        Assert.Equal(2, timeline.Entries.Count);
        Assert.Equal(("alice", "bob", "nat2", true), (timeline.Entries[0].From, timeline.Entries[0].To, timeline.Entries[0].StoppedAt, timeline.Entries[0].StoppedByNat));
        Assert.Equal(("bob", "alice LAN", false), (timeline.Entries[1].To, timeline.Entries[1].StoppedAt, timeline.Entries[1].StoppedByNat));
        var text = timeline.Render(T0);
        Assert.Contains("✗ dropped by nat2", text, StringComparison.Ordinal);
        Assert.Contains("✗ not delivered (last seen on alice LAN)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ARetransmissionIsANewEntry()
    {
        var i1 = Hip(1, AliceHit, BobHit);
        var frames = new[]
        {
            Frame(0.0, "public", "203.0.113.11:10500", "203.0.113.10:10500", i1),
            Frame(500.0, "public", "203.0.113.11:10500", "203.0.113.10:10500", i1),
        };

        var timeline = new Timeline(frames, Hits, Nodes);

        Assert.Equal(2, timeline.Entries.Count);
    }

    [Fact]
    public void RegistrationParametersAreDescribed()
    {
        var regFrom = TransportAddress("203.0.113.12", 40123);
        var packet = HipPacketView.TryParseUdp(Hip(4, BobHit, AliceHit,
            (HipParameterTypes.RegResponse, [96, 2]),
            (HipParameterTypes.RegFrom, regFrom)))!;

        Assert.Equal("R2", packet.TypeName);
        Assert.Equal("REG_RESPONSE(RELAY_UDP_HIP, 16 s)  REG_FROM 203.0.113.12:40123", packet.DescribeParameters());
        Assert.Null(HipPacketView.TryParseUdp([1, 2, 3, 4, .. new byte[60]])); // not the RFC 9028 zero marker
    }

    private static HipFrame Frame(double ms, string segment, string src, string dst, byte[] payload) =>
        new(T0.AddMilliseconds(ms), segment, segment, IPEndPoint.Parse(src), IPEndPoint.Parse(dst), payload, HipPacketView.TryParseUdp(payload), null);

    private static byte[] TransportAddress(string ip, int port)
    {
        var v = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(v, (ushort)port);
        v[2] = 17;
        IPAddress.Parse(ip).MapToIPv6().GetAddressBytes().CopyTo(v, 4);
        return v;
    }

    /// <summary>RFC 9028 §5.1 framing (four zero octets) and a HIPv2 header with the given parameters.</summary>
    private static byte[] Hip(int type, IPAddress sender, IPAddress receiver, params (int Type, byte[] Value)[] parameters)
    {
        var body = new List<byte>();
        foreach (var (t, v) in parameters)
        {
            var tlv = new byte[(4 + v.Length + 7) & ~7];
            BinaryPrimitives.WriteUInt16BigEndian(tlv, (ushort)t);
            BinaryPrimitives.WriteUInt16BigEndian(tlv.AsSpan(2), (ushort)v.Length);
            v.CopyTo(tlv, 4);
            body.AddRange(tlv);
        }

        var hip = new byte[40 + body.Count];
        hip[0] = 59;
        hip[1] = (byte)((hip.Length / 8) - 1);
        hip[2] = (byte)type;
        hip[3] = 0x21;
        sender.GetAddressBytes().CopyTo(hip, 8);
        receiver.GetAddressBytes().CopyTo(hip, 24);
        body.CopyTo(hip, 40);
        return [0, 0, 0, 0, .. hip];
    }
}
