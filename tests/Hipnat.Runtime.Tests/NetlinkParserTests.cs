using System.Net;
using System.Runtime.InteropServices;
using Hipnat.Runtime.Netlink;

namespace Hipnat.Runtime.Tests;

/// <summary>rtnetlink messages built by hand (host byte order, as the kernel sends them) through <see cref="NetlinkParser"/>.</summary>
public sealed class NetlinkParserTests
{
    private const byte AfInet = 2;
    private const byte AfInet6 = 10;

    [Fact]
    public void NewAddressIPv4TakesTheLocalAddressAndThe32BitFlags()
    {
        // On a point-to-point link IFA_ADDRESS is the peer; IFA_LOCAL is ours.
        var datagram = Message(NetlinkParser.RtmNewAddr, 0, 0, Concat(
            IfAddrMsg(AfInet, 24, 0x80, 0, 3),
            Attr(NetlinkParser.IfaAddress, IPAddress.Parse("198.51.100.1").GetAddressBytes()),
            Attr(NetlinkParser.IfaLocal, IPAddress.Parse("192.0.2.10").GetAddressBytes()),
            Attr(NetlinkParser.IfaFlags, U32(InterfaceAddress.IfaFPermanent))));
        var messages = new List<NetlinkMessage>();
        Assert.Equal(0, NetlinkParser.Parse(datagram, messages));
        var m = Assert.Single(messages);
        Assert.Equal(NetlinkMessageKind.NewAddress, m.Kind);
        Assert.True(m.IsChange);
        Assert.Equal(new InterfaceAddress(3, IPAddress.Parse("192.0.2.10"), 24, InterfaceAddress.IfaFPermanent, 0), m.Address);
        Assert.True(m.Address!.IsUsable);
    }

    [Fact]
    public void NewAddressIPv6IsTentativeUntilTheKernelAnnouncesItWithoutTheFlag()
    {
        var address = IPAddress.Parse("2001:db8::10");

        // IFA_FLAGS carries bits above the 8 of ifa_flags (IFA_F_MANAGETEMPADDR 0x100) and wins over ifa_flags.
        var tentative = Message(NetlinkParser.RtmNewAddr, 0, 0, Concat(
            IfAddrMsg(AfInet6, 64, 0, 0, 4),
            Attr(NetlinkParser.IfaAddress, address.GetAddressBytes()),
            Attr(NetlinkParser.IfaFlags, U32(InterfaceAddress.IfaFTentative | 0x100))));
        var ready = Message(NetlinkParser.RtmNewAddr, 0, 0, Concat(
            IfAddrMsg(AfInet6, 64, (byte)InterfaceAddress.IfaFTentative, 0, 4),
            Attr(NetlinkParser.IfaAddress, address.GetAddressBytes()),
            Attr(NetlinkParser.IfaFlags, U32(InterfaceAddress.IfaFPermanent))));
        var messages = new List<NetlinkMessage>();
        Assert.Equal(0, NetlinkParser.Parse(Concat(tentative, ready), messages));
        Assert.Equal(2, messages.Count);

        var first = messages[0].Address!;
        Assert.Equal(address, first.Address);
        Assert.Equal(64, first.PrefixLength);
        Assert.Equal(InterfaceAddress.IfaFTentative | 0x100, first.Flags);
        Assert.True(first.IsTentative);
        Assert.False(first.IsUsable);

        var second = messages[1].Address!;
        Assert.False(second.IsTentative);
        Assert.True(second.IsUsable);

        var link = new InterfaceLink(4, "eth0", InterfaceLink.IffUp | InterfaceLink.IffRunning, InterfaceLink.OperUp);
        Assert.Empty(new InterfaceSnapshot([link], [first]).UsableInterfaces().Single().Addresses);
        Assert.Equal([address], new InterfaceSnapshot([link], [second]).UsableInterfaces().Single().Addresses);
    }

    [Fact]
    public void DuplicateAndOptimisticAddresses()
    {
        var a = IPAddress.Parse("2001:db8::1");
        Assert.False(new InterfaceAddress(1, a, 64, InterfaceAddress.IfaFDadFailed | InterfaceAddress.IfaFTentative, 0).IsUsable);
        Assert.False(new InterfaceAddress(1, a, 64, InterfaceAddress.IfaFDadFailed, 0).IsUsable);

        // RFC 4429: an optimistic address may be used while DAD runs.
        Assert.True(new InterfaceAddress(1, a, 64, InterfaceAddress.IfaFOptimistic | InterfaceAddress.IfaFTentative, 0).IsUsable);

        var deprecated = new InterfaceAddress(1, a, 64, InterfaceAddress.IfaFDeprecated, 0);
        Assert.True(deprecated.IsDeprecated);
        Assert.True(deprecated.IsUsable);
    }

    [Fact]
    public void WithoutIfaFlagsTheEightBitFlagsCount()
    {
        var datagram = Message(NetlinkParser.RtmNewAddr, 0, 0, Concat(
            IfAddrMsg(AfInet6, 64, (byte)(InterfaceAddress.IfaFTentative | InterfaceAddress.IfaFNoDad), 0, 2),
            Attr(NetlinkParser.IfaAddress, IPAddress.Parse("fe80::1").GetAddressBytes())));
        var messages = new List<NetlinkMessage>();
        Assert.Equal(0, NetlinkParser.Parse(datagram, messages));
        var a = Assert.Single(messages).Address!;
        Assert.True(a.IsTentative);
        Assert.Equal(2, a.Address.ScopeId); // link-local: scoped to its interface
    }

    [Fact]
    public void NewLinkReadsNameFlagsAndOperState()
    {
        uint up = InterfaceLink.IffUp | InterfaceLink.IffRunning | InterfaceLink.IffLowerUp;
        var messages = new List<NetlinkMessage>();
        var datagram = Concat(
            Message(NetlinkParser.RtmNewLink, 2, 7, Concat(IfInfoMsg(2, up), Attr(NetlinkParser.IflaIfname, "eth0\0"u8.ToArray()), Attr(NetlinkParser.IflaOperstate, [InterfaceLink.OperUp]))),
            Message(NetlinkParser.RtmNewLink, 2, 7, Concat(IfInfoMsg(3, up), Attr(NetlinkParser.IflaIfname, "wlan0\0"u8.ToArray()), Attr(NetlinkParser.IflaOperstate, [InterfaceLink.OperDown]))),
            Message(NetlinkParser.RtmNewLink, 2, 7, Concat(IfInfoMsg(4, InterfaceLink.IffUp), Attr(NetlinkParser.IflaIfname, "eth1\0"u8.ToArray()))),
            Message(NetlinkParser.RtmDelLink, 0, 0, Concat(IfInfoMsg(5, 0), Attr(NetlinkParser.IflaIfname, "veth9\0"u8.ToArray()))),
            Message(NetlinkParser.NlmsgDone, 2, 7, new byte[4]));
        Assert.Equal(0, NetlinkParser.Parse(datagram, messages));
        Assert.Equal(
            [NetlinkMessageKind.NewLink, NetlinkMessageKind.NewLink, NetlinkMessageKind.NewLink, NetlinkMessageKind.DeleteLink, NetlinkMessageKind.Done],
            messages.Select(m => m.Kind));
        Assert.Equal(new InterfaceLink(2, "eth0", up, InterfaceLink.OperUp), messages[0].Link);
        Assert.True(messages[0].Link!.IsUp);
        Assert.False(messages[1].Link!.IsUp); // operstate down
        Assert.False(messages[2].Link!.IsUp); // no carrier (IFF_RUNNING / IFF_LOWER_UP)
        Assert.Equal("veth9", messages[3].Link!.Name);
        Assert.All(messages.Where(m => m.Kind != NetlinkMessageKind.DeleteLink), m => Assert.Equal(7u, m.Sequence));
    }

    [Fact]
    public void ErrorsRoutesAndOtherFamilies()
    {
        var messages = new List<NetlinkMessage>();
        var datagram = Concat(
            Message(NetlinkParser.NlmsgError, 0, 9, Concat(U32(unchecked((uint)-22)), new byte[16])),
            Message(NetlinkParser.RtmNewRoute, 0, 0, new byte[NetlinkParser.RtMsgLength]),
            Message(NetlinkParser.RtmNewAddr, 0, 0, IfAddrMsg(17, 0, 0, 0, 1)), // not IPv4 or IPv6: ignored, not malformed
            Message(NetlinkParser.NlmsgNoop, 0, 0, []));
        Assert.Equal(0, NetlinkParser.Parse(datagram, messages));
        Assert.Equal([NetlinkMessageKind.Error, NetlinkMessageKind.RouteChange, NetlinkMessageKind.Other], messages.Select(m => m.Kind));
        Assert.Equal(-22, messages[0].Error);
        Assert.Equal(9u, messages[0].Sequence);
        Assert.True(messages[1].IsChange);
        Assert.False(messages[2].IsChange);
    }

    [Fact]
    public void TruncatedAndGarbageMessagesAreCountedNotThrown()
    {
        var good = Message(NetlinkParser.RtmNewAddr, 0, 0, Concat(IfAddrMsg(AfInet, 24, 0, 0, 3), Attr(NetlinkParser.IfaLocal, [192, 0, 2, 1])));
        var messages = new List<NetlinkMessage>();

        // nlmsg_len beyond the datagram: the rest cannot be framed.
        var truncated = good[..^2];
        Assert.Equal(1, NetlinkParser.Parse(truncated, messages));
        Assert.Empty(messages);

        // Shorter than a header.
        Assert.Equal(1, NetlinkParser.Parse(new byte[7], messages));

        // nlmsg_len below the header size.
        var tiny = new byte[16];
        tiny[0] = 8;
        Assert.Equal(1, NetlinkParser.Parse(tiny, messages));

        // An attribute longer than its message, a payload shorter than ifaddrmsg, an IPv4 address of 3 octets,
        // a prefix length of 40 for IPv4: each is skipped, and the good message after them still counts.
        var badAttribute = Message(NetlinkParser.RtmNewAddr, 0, 0, Concat(IfAddrMsg(AfInet, 24, 0, 0, 3), [0x40, 0, 2, 0, 192, 0, 2, 1]));
        var shortPayload = Message(NetlinkParser.RtmNewAddr, 0, 0, new byte[4]);
        var shortAddress = Message(NetlinkParser.RtmNewAddr, 0, 0, Concat(IfAddrMsg(AfInet, 24, 0, 0, 3), Attr(NetlinkParser.IfaLocal, [192, 0, 2])));
        var badPrefix = Message(NetlinkParser.RtmNewAddr, 0, 0, Concat(IfAddrMsg(AfInet, 40, 0, 0, 3), Attr(NetlinkParser.IfaLocal, [192, 0, 2, 1])));
        var shortLink = Message(NetlinkParser.RtmNewLink, 0, 0, new byte[8]);
        var shortError = Message(NetlinkParser.NlmsgError, 0, 0, new byte[2]);
        Assert.Equal(6, NetlinkParser.Parse(Concat(badAttribute, shortPayload, shortAddress, badPrefix, shortLink, shortError, good), messages));
        Assert.Equal(IPAddress.Parse("192.0.2.1"), Assert.Single(messages).Address!.Address);

        // Random bytes and random mutations of good messages never throw.
        var random = new Random(7);
        for (int i = 0; i < 20000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(0, 200)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = Concat(good, good);
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            messages.Clear();
            int malformed = NetlinkParser.Parse(bytes, messages);
            Assert.InRange(malformed, 0, bytes.Length);
        }
    }

    [Fact]
    public void DumpRequestsAskForEveryFamily()
    {
        var link = NetlinkParser.DumpRequest(NetlinkParser.RtmGetLink, 5);
        Assert.Equal(NetlinkParser.HeaderLength + NetlinkParser.IfInfoLength, link.Length);
        Assert.Equal((uint)link.Length, MemoryMarshal.Read<uint>(link));
        Assert.Equal(NetlinkParser.RtmGetLink, MemoryMarshal.Read<ushort>(link.AsSpan(4)));
        Assert.Equal(NetlinkParser.NlmFRequest | NetlinkParser.NlmFDump, MemoryMarshal.Read<ushort>(link.AsSpan(6)));
        Assert.Equal(5u, MemoryMarshal.Read<uint>(link.AsSpan(8)));
        Assert.Equal(0, link[16]); // AF_UNSPEC

        var addr = NetlinkParser.DumpRequest(NetlinkParser.RtmGetAddr, 6);
        Assert.Equal(NetlinkParser.HeaderLength + NetlinkParser.IfAddrLength, addr.Length);
        Assert.Equal(NetlinkParser.RtmGetAddr, MemoryMarshal.Read<ushort>(addr.AsSpan(4)));
    }

    [Fact]
    public void SnapshotsGiveUsableAddressesOfLinksThatAreUp()
    {
        uint up = InterfaceLink.IffUp | InterfaceLink.IffRunning;
        var snapshot = new InterfaceSnapshot(
            [
                new InterfaceLink(3, "eth1", InterfaceLink.IffUp, InterfaceLink.OperDown),
                new InterfaceLink(2, "eth0", up, InterfaceLink.OperUp),
                new InterfaceLink(1, "lo", up | InterfaceLink.IffLoopback, InterfaceLink.OperUnknown),
            ],
            [
                new InterfaceAddress(1, IPAddress.Loopback, 8, InterfaceAddress.IfaFPermanent, 254),
                new InterfaceAddress(2, IPAddress.Parse("192.0.2.10"), 24, InterfaceAddress.IfaFPermanent, 0),
                new InterfaceAddress(3, IPAddress.Parse("198.51.100.10"), 24, InterfaceAddress.IfaFPermanent, 0),
                new InterfaceAddress(2, IPAddress.Parse("2001:db8::10"), 64, InterfaceAddress.IfaFTentative, 0),
                new InterfaceAddress(2, IPAddress.Parse("2001:db8::11"), 64, 0, 0),
            ]);
        var usable = snapshot.UsableInterfaces();
        Assert.Equal(["lo", "eth0"], usable.Select(i => i.Name));
        Assert.Equal([IPAddress.Parse("192.0.2.10"), IPAddress.Parse("2001:db8::11")], usable[1].Addresses);
        Assert.Equal("eth1", snapshot.InterfaceOf()[IPAddress.Parse("198.51.100.10")]);
        Assert.True(snapshot.SameAs(new InterfaceSnapshot(snapshot.Links.Reverse().ToList(), snapshot.Addresses)));
        Assert.False(snapshot.SameAs(new InterfaceSnapshot(snapshot.Links, snapshot.Addresses.Skip(1).ToList())));
    }

    internal static byte[] Message(ushort type, ushort flags, uint seq, byte[] body)
    {
        var m = new byte[NetlinkParser.HeaderLength + body.Length];
        MemoryMarshal.Write(m, (uint)m.Length);
        MemoryMarshal.Write(m.AsSpan(4), type);
        MemoryMarshal.Write(m.AsSpan(6), flags);
        MemoryMarshal.Write(m.AsSpan(8), seq);
        body.CopyTo(m, NetlinkParser.HeaderLength);
        return Pad(m);
    }

    internal static byte[] Attr(ushort type, byte[] value)
    {
        var a = new byte[4 + value.Length];
        MemoryMarshal.Write(a, (ushort)a.Length);
        MemoryMarshal.Write(a.AsSpan(2), type);
        value.CopyTo(a, 4);
        return Pad(a);
    }

    internal static byte[] IfAddrMsg(byte family, byte prefix, byte flags, byte scope, int index)
    {
        var b = new byte[NetlinkParser.IfAddrLength];
        b[0] = family;
        b[1] = prefix;
        b[2] = flags;
        b[3] = scope;
        MemoryMarshal.Write(b.AsSpan(4), index);
        return b;
    }

    internal static byte[] IfInfoMsg(int index, uint flags)
    {
        var b = new byte[NetlinkParser.IfInfoLength];
        MemoryMarshal.Write(b.AsSpan(4), index);
        MemoryMarshal.Write(b.AsSpan(8), flags);
        return b;
    }

    internal static byte[] U32(uint v)
    {
        var b = new byte[4];
        MemoryMarshal.Write(b, v);
        return b;
    }

    internal static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Pad(byte[] b) => b.Length % 4 == 0 ? b : [.. b, .. new byte[4 - (b.Length % 4)]];
}
