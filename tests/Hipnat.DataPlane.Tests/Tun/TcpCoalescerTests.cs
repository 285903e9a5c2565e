using System.Buffers.Binary;
using FsCheck.Xunit;
using Hipnat.DataPlane.Tests.Beet;
using Hipnat.DataPlane.Tun;
using static Hipnat.DataPlane.Tests.Tun.OffloadPackets;

namespace Hipnat.DataPlane.Tests.Tun;

/// <summary>Joining decrypted TCP segments into one super-segment for the TUN device (GRO-like).</summary>
public class TcpCoalescerTests
{
    private static List<byte[]> Segments(bool ipv6, int count, int mss, byte[]? options = null, byte lastFlags = Ack, int lastLength = -1, int seed = 1)
    {
        var list = new List<byte[]>();
        uint seq = 5000;
        for (int i = 0; i < count; i++)
        {
            int n = i == count - 1 && lastLength >= 0 ? lastLength : mss;
            list.Add(Tcp(ipv6, RandomBytes(n, seed + i), sequence: seq, flags: i == count - 1 ? lastFlags : Ack, options: options, id: (ushort)(10 + i)));
            seq += (uint)n;
        }

        return list;
    }

    private static (VirtioNetHeader Header, byte[] Packet) Complete(TcpCoalescer c)
    {
        var written = c.Complete().ToArray();
        Assert.True(VirtioNetHeader.TryRead(written, out var header));
        return (header, written[VirtioNetHeader.Size..]);
    }

    /// <summary>What the kernel does with CHECKSUM_PARTIAL: sum from csum_start (the field holds the seed), store the complement.</summary>
    private static byte[] FinishLikeTheKernel(VirtioNetHeader header, byte[] packet)
    {
        var p = (byte[])packet.Clone();
        ushort c = NaiveChecksum.Of(p[header.CsumStart..]);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(header.CsumStart + header.CsumOffset), c);
        return p;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void In_order_segments_of_one_flow_become_one_super_segment(bool ipv6)
    {
        var segments = Segments(ipv6, 5, 1000, Timestamps, lastFlags: Ack | Psh, lastLength: 300);
        var c = new TcpCoalescer();
        Assert.True(c.TryStart(segments[0]));
        for (int i = 1; i < 5; i++)
        {
            Assert.True(c.TryAppend(segments[i]), $"segment {i}");
        }

        Assert.Equal(5, c.Count);
        var (h, p) = Complete(c);
        int ip = ipv6 ? 40 : 20;
        int headers = ip + 32;
        Assert.Equal(VirtioNetHeader.FlagNeedsCsum, h.Flags);
        Assert.Equal(ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4, h.GsoType);
        Assert.Equal((ushort)1000, h.GsoSize);
        Assert.Equal((ushort)headers, h.HeaderLength);
        Assert.Equal((ushort)ip, h.CsumStart);
        Assert.Equal((ushort)16, h.CsumOffset);
        Assert.Equal(headers + 4300, p.Length);
        if (!ipv6)
        {
            Assert.Equal(p.Length, BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2)));
            Assert.Equal(10, BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(4)));
            Assert.True(Ipv4HeaderValid(p));
        }
        else
        {
            Assert.Equal(p.Length - 40, BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(4)));
        }

        Assert.Equal(5000u, BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(ip + 4)));
        Assert.Equal(Ack | Psh, p[ip + 13]);
        Assert.Equal(PseudoSeed(ipv6, 6, p.Length - ip), BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(ip + 16)));
        Assert.True(TransportValid(FinishLikeTheKernel(h, p)));
        Assert.Equal(segments.SelectMany(s => s[headers..]).ToArray(), p[headers..]);
        Assert.False(c.HasPending);
    }

    [Fact]
    public void A_single_segment_goes_out_unchanged_behind_an_empty_header()
    {
        var s = Tcp(false, RandomBytes(500, 1));
        var c = new TcpCoalescer();
        Assert.True(c.TryStart(s));
        var (h, p) = Complete(c);
        Assert.Equal(VirtioNetHeader.None, h);
        Assert.Equal(s, p);
    }

    [Fact]
    public void Segments_that_do_not_continue_the_flow_are_not_joined()
    {
        var c = new TcpCoalescer();
        var first = Tcp(false, RandomBytes(1000, 1), sequence: 100, id: 1);
        void Refused(byte[] p, string why)
        {
            Assert.True(c.TryStart(first));
            Assert.False(c.TryAppend(p), why);
            Assert.Equal(1, c.Count);
        }

        Refused(Tcp(false, RandomBytes(1000, 2), sequence: 1200, id: 2), "a gap in the sequence");
        Refused(Tcp(false, RandomBytes(1000, 2), sequence: 100, id: 2), "a retransmission");
        Refused(Tcp(false, RandomBytes(1000, 2), sequence: 1100, id: 2, sourcePort: 40001), "another flow");
        Refused(Tcp(false, RandomBytes(1000, 2), sequence: 1100, id: 2, ack: 78), "another acknowledgment");
        Refused(Tcp(false, RandomBytes(1000, 2), sequence: 1100, id: 2, window: 501), "another window");
        Refused(Tcp(false, RandomBytes(1000, 2), sequence: 1100, id: 2, options: Timestamps), "other options");
        Refused(Tcp(false, RandomBytes(1001, 2), sequence: 1100, id: 2), "longer than the first");
        Refused(Tcp(false, RandomBytes(1000, 2), sequence: 1100, id: 7), "an Identification out of line");
        Refused(Tcp(false, [], sequence: 1100, id: 2), "no payload");
        Refused(Tcp(false, RandomBytes(1000, 2), sequence: 1100, id: 2, flags: Ack | Cwr), "CWR");
        Refused(Tcp(true, RandomBytes(1000, 2), sequence: 1100), "another IP version");
        Refused(Udp(false, RandomBytes(1000, 2)), "not TCP");
        var corrupt = Tcp(false, RandomBytes(1000, 2), sequence: 1100, id: 2);
        corrupt[^1] ^= 0xFF;
        Refused(corrupt, "a bad checksum");

        // With options the option octets must match too (timestamps differ: a new super-segment).
        var withTs = Tcp(false, RandomBytes(1000, 1), sequence: 100, id: 1, options: Timestamps);
        var otherTs = (byte[])Timestamps.Clone();
        otherTs[7]++;
        Assert.True(c.TryStart(withTs));
        Assert.False(c.TryAppend(Tcp(false, RandomBytes(1000, 2), sequence: 1100, id: 2, options: otherTs)));
        Assert.True(c.TryAppend(Tcp(false, RandomBytes(1000, 2), sequence: 1100, id: 2, options: Timestamps)));
    }

    [Fact]
    public void Packets_that_cannot_start_one_are_refused()
    {
        var c = new TcpCoalescer();
        Assert.False(c.TryStart(Tcp(false, RandomBytes(100, 1), flags: Syn)));
        Assert.False(c.TryStart(Tcp(false, RandomBytes(100, 1), flags: Ack | Psh)));
        Assert.False(c.TryStart(Tcp(false, RandomBytes(100, 1), flags: Ack | Fin)));
        Assert.False(c.TryStart(Tcp(true, [])));
        Assert.False(c.TryStart(Udp(true, RandomBytes(100, 1))));
        Assert.False(c.TryStart(Tcp(false, RandomBytes(100, 1), partial: true)));
        Assert.False(c.TryStart(RandomBytes(10, 1)));
        Assert.False(c.TryStart(Tcp(false, RandomBytes(100, 1)).AsSpan(0, 50)));
        Assert.False(c.HasPending);
    }

    [Fact]
    public void A_short_segment_or_psh_ends_the_super_segment()
    {
        var c = new TcpCoalescer();
        var s = Segments(false, 4, 1000, lastLength: 1000);
        var shortOne = Tcp(false, RandomBytes(500, 9), sequence: 6000, id: 11);
        Assert.True(c.TryStart(s[0]));
        Assert.True(c.TryAppend(shortOne));
        Assert.False(c.TryAppend(Tcp(false, RandomBytes(1000, 9), sequence: 6500, id: 12)));

        var p = Segments(true, 3, 1000, lastFlags: Ack | Psh);
        Assert.True(c.TryStart(p[0]));
        Assert.True(c.TryAppend(p[1]));
        Assert.True(c.TryAppend(p[2]));
        Assert.False(c.TryAppend(Tcp(true, RandomBytes(1000, 9), sequence: 8000)));
        Assert.Equal(Ack | Psh, Complete(c).Packet[53]);
    }

    [Fact]
    public void At_most_64_segments_and_65535_octets()
    {
        var c = new TcpCoalescer();
        var s = Segments(true, 70, 100);
        Assert.True(c.TryStart(s[0]));
        int joined = 1;
        while (joined < 70 && c.TryAppend(s[joined]))
        {
            joined++;
        }

        Assert.Equal(TcpCoalescer.MaxSegments, joined);

        var big = Segments(false, 3, 30000);
        Assert.True(c.TryStart(big[0]));
        Assert.True(c.TryAppend(big[1]));
        Assert.False(c.TryAppend(big[2]));
    }

    /// <summary>Split (as the data plane does on send) then coalesce (as on receive) gives back the kernel's super-segment.</summary>
    [Property(MaxTest = 200)]
    public void Split_then_coalesce_round_trips_byte_identically(bool ipv6, ushort lengthSeed, ushort mssSeed, bool withOptions, byte flagSeed, int seed)
    {
        int mss = 536 + (mssSeed % 1000);
        var options = withOptions ? Timestamps : [];
        int headers = (ipv6 ? 40 : 20) + 20 + options.Length;
        int payloadLength = mss + 1 + (lengthSeed % Math.Min(65535 - headers - mss, (TcpCoalescer.MaxSegments * mss) - mss - 1));
        byte flags = (byte)(Ack | (flagSeed & 1) * Psh | ((flagSeed >> 1) & 1) * Fin | ((flagSeed >> 2) & 1) * Cwr);
        var super = Tcp(ipv6, RandomBytes(payloadLength, seed), sequence: (uint)seed, flags: flags, options: options, id: (ushort)seed, partial: true);
        int ip = ipv6 ? 40 : 20;
        byte gsoType = (byte)((ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4) | ((flags & Cwr) != 0 ? VirtioNetHeader.GsoEcn : 0));
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, gsoType, (ushort)headers, (ushort)mss, (ushort)ip, 16);

        Assert.True(GsoSegmenter.TryPlan(super, header, 65535, out var plan));
        Assert.True(plan.Count >= 2);
        var buffer = new byte[65536];
        var c = new TcpCoalescer();
        for (int i = 0; i < plan.Count; i++)
        {
            int n = GsoSegmenter.WriteSegment(super, plan, i, buffer);
            var segment = buffer[..n];
            Assert.True(TransportValid(segment));
            Assert.True(i == 0 ? c.TryStart(segment) : c.TryAppend(segment), $"segment {i} of {plan.Count}");
        }

        var (h, p) = Complete(c);
        Assert.Equal(header, h);
        Assert.Equal(super, p);
    }
}
