using System.Buffers.Binary;
using Hipnat.DataPlane.Tests.Beet;

namespace Hipnat.DataPlane.Tests.Tun;

/// <summary>
/// TCP and UDP packets as the kernel hands them to a TUN reader with offloads, built field by field and checksummed
/// with the naive oracle (<see cref="NaiveChecksum"/>), independent of the code under test.
/// </summary>
internal static class OffloadPackets
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
    public const byte Cwr = 0x80;

    public static readonly byte[] Source4 = [198, 19, 0, 1];
    public static readonly byte[] Destination4 = [198, 19, 0, 2];
    public static readonly byte[] Source6 = [0x20, 0x01, 0x00, 0x2a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    public static readonly byte[] Destination6 = [0x20, 0x01, 0x00, 0x2b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    /// <summary>TCP options: NOP, NOP, timestamps (12 octets).</summary>
    public static readonly byte[] Timestamps = [1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78];

    /// <summary>
    /// A TCP packet; <paramref name="partial"/>: its checksum field holds only the pseudo-header sum, as with
    /// VIRTIO_NET_HDR_F_NEEDS_CSUM; else the full checksum.
    /// </summary>
    public static byte[] Tcp(bool ipv6, byte[] payload, uint sequence = 1000, byte flags = Ack, byte[]? options = null,
        ushort id = 0x100, bool partial = false, byte[]? ipv4Options = null, ushort sourcePort = 40000, uint ack = 77, ushort window = 500)
    {
        options ??= [];
        var tcp = new byte[20 + options.Length + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), 5201);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), ack);
        tcp[12] = (byte)(((20 + options.Length) / 4) << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), window);
        options.CopyTo(tcp, 20);
        payload.CopyTo(tcp, 20 + options.Length);
        return Wrap(ipv6, 6, tcp, 16, id, partial, ipv4Options);
    }

    public static byte[] Udp(bool ipv6, byte[] payload, bool partial = false, ushort id = 0x200)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 5000);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), 5201);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp, 8);
        return Wrap(ipv6, 17, udp, 6, id, partial, null);
    }

    public static byte[] Pseudo(bool ipv6, byte protocol, int length) => ipv6
        ? NaiveChecksum.Ipv6Pseudo(Source6, Destination6, length, protocol)
        : NaiveChecksum.Ipv4Pseudo(Source4, Destination4, length, protocol);

    /// <summary>The folded pseudo-header sum (not complemented): what a partial checksum field holds.</summary>
    public static ushort PseudoSeed(bool ipv6, byte protocol, int length) => (ushort)~NaiveChecksum.Of(Pseudo(ipv6, protocol, length));

    public static int IpHeaderLength(byte[] packet) => packet[0] >> 4 == 6 ? 40 : (packet[0] & 0xF) * 4;

    public static bool TransportValid(byte[] packet)
    {
        bool ipv6 = packet[0] >> 4 == 6;
        int ip = IpHeaderLength(packet);
        return NaiveChecksum.IsValid(Pseudo(ipv6, ipv6 ? packet[6] : packet[9], packet.Length - ip), packet[ip..]);
    }

    public static bool Ipv4HeaderValid(byte[] packet) => NaiveChecksum.Of(packet[..IpHeaderLength(packet)]) is 0 or 0xFFFF;

    public static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static byte[] Wrap(bool ipv6, byte protocol, byte[] transport, int checksumField, ushort id, bool partial, byte[]? ipv4Options)
    {
        ushort checksum = partial
            ? PseudoSeed(ipv6, protocol, transport.Length)
            : NaiveChecksum.Of(Pseudo(ipv6, protocol, transport.Length).Concat(transport));
        BinaryPrimitives.WriteUInt16BigEndian(transport.AsSpan(checksumField), checksum);
        if (ipv6)
        {
            var p = new byte[40 + transport.Length];
            p[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)transport.Length);
            p[6] = protocol;
            p[7] = 64;
            Source6.CopyTo(p, 8);
            Destination6.CopyTo(p, 24);
            transport.CopyTo(p, 40);
            return p;
        }

        ipv4Options ??= [];
        int ihl = 20 + ipv4Options.Length;
        var q = new byte[ihl + transport.Length];
        q[0] = (byte)(0x40 | (ihl / 4));
        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(2), (ushort)q.Length);
        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(4), id);
        q[6] = 0x40; // DF
        q[8] = 64;
        q[9] = protocol;
        Source4.CopyTo(q, 12);
        Destination4.CopyTo(q, 16);
        ipv4Options.CopyTo(q, 20);
        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(10), NaiveChecksum.Of(q[..ihl]));
        transport.CopyTo(q, ihl);
        return q;
    }
}
