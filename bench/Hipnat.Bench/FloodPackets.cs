using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Bench;

/// <summary>
/// The flood's precomputed packets: HIP over UDP (RFC 9028 §5.1: four zero octets, then the HIP packet with a zero
/// checksum) inside hand-made IPv4 and UDP headers from spoofed sources.
/// </summary>
internal static class FloodPackets
{
    private const int IpHeader = 20;
    private const int UdpHeader = 8;

    /// <summary>An IPv4/UDP frame from <paramref name="source"/> to <paramref name="target"/> carrying <paramref name="udpPayload"/>.
    /// The kernel fills in the IPv4 checksum and, when zero, the identification (raw(7)); the UDP checksum is zero
    /// (none, RFC 768).</summary>
    public static byte[] Frame(IPEndPoint source, IPEndPoint target, ReadOnlySpan<byte> udpPayload)
    {
        var f = new byte[IpHeader + UdpHeader + udpPayload.Length];
        f[0] = 0x45;                                                   // version 4, IHL 5
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(2), (ushort)f.Length);
        f[8] = 64;                                                     // TTL
        f[9] = 17;                                                     // UDP
        source.Address.TryWriteBytes(f.AsSpan(12, 4), out _);
        target.Address.TryWriteBytes(f.AsSpan(16, 4), out _);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(20), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(22), (ushort)target.Port);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(24), (ushort)(UdpHeader + udpPayload.Length));
        udpPayload.CopyTo(f.AsSpan(IpHeader + UdpHeader));
        return f;
    }

    /// <summary>A copy of a UDP-framed I1 with another Initiator HIT (RFC 7401 §5.1: the sender's HIT at octet 8 of
    /// the HIP header): a random ORCHIDv2-looking one, so each I1 looks like a new Initiator.</summary>
    public static byte[] I1WithRandomHit(ReadOnlySpan<byte> i1)
    {
        var p = i1.ToArray();
        var hit = p.AsSpan(HipUdpFraming.HipControlOffset + 8, Hit.Length);
        RandomNumberGenerator.Fill(hit);
        Hit.OrchidPrefix.CopyTo(hit);
        hit[3] = (byte)((hit[3] & 0x0F) | 0x20); // 2001:2X::/28 with a random OGA id
        return p;
    }

    /// <summary>A copy of a UDP-framed I2 with a random #J in its SOLUTION (RFC 7401 §5.2.5): it reaches the puzzle
    /// check; one in 2^#K also passes it and costs the responder its Diffie-Hellman work before the signature fails.</summary>
    public static byte[] I2WithRandomSolution(ReadOnlySpan<byte> i2)
    {
        var p = i2.ToArray();
        var (offset, length) = FindParameter(p.AsSpan(HipUdpFraming.HipControlOffset), ParameterType.Solution);
        int n = (length - 4) / 2;
        RandomNumberGenerator.Fill(p.AsSpan(HipUdpFraming.HipControlOffset + offset + 4 + 4 + n, n));
        return p;
    }

    /// <summary>The offset (from the HIP header) and Length of the first parameter of <paramref name="type"/>
    /// (RFC 7401 §5.2.1: Type, Length, contents, padding to 8 octets).</summary>
    private static (int Offset, int Length) FindParameter(ReadOnlySpan<byte> hip, ushort type)
    {
        int end = Math.Min(hip.Length, (hip[1] + 1) * 8);
        for (int at = HipHeader.Size; at + 4 <= end;)
        {
            ushort t = BinaryPrimitives.ReadUInt16BigEndian(hip[at..]);
            int len = BinaryPrimitives.ReadUInt16BigEndian(hip[(at + 2)..]);
            if (t == type)
            {
                return (at, len);
            }

            at += (4 + len + 7) & ~7;
        }

        throw new InvalidOperationException($"no parameter {type} in the packet");
    }
}
