using System.Buffers.Binary;

namespace Hipnat.DataPlane.Tun;

/// <summary>
/// A hash of an IP packet's flow — addresses, protocol and, for TCP and UDP, ports — that is the same in both
/// directions, so the packets of one connection, in and out, pick the same TUN queue.
/// </summary>
public static class FlowHash
{
    private const byte ProtocolTcp = 6;
    private const byte ProtocolUdp = 17;

    /// <summary>The flow's hash; 0 for what is not IPv4 or IPv6.</summary>
    public static uint Symmetric(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 20)
        {
            return 0;
        }

        uint h;
        byte protocol;
        int transport;
        switch (packet[0] >> 4)
        {
            case 4:
                protocol = packet[9];
                h = BinaryPrimitives.ReadUInt32LittleEndian(packet[12..]) ^ BinaryPrimitives.ReadUInt32LittleEndian(packet[16..]);
                bool fragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0;
                transport = fragment ? -1 : (packet[0] & 0x0F) * 4; // later fragments carry no ports (RFC 791)
                break;
            case 6 when packet.Length >= 40:
                protocol = packet[6];
                h = 0;
                for (int i = 8; i < 24; i += 4)
                {
                    h ^= BinaryPrimitives.ReadUInt32LittleEndian(packet[i..]) ^ BinaryPrimitives.ReadUInt32LittleEndian(packet[(i + 16)..]);
                }

                transport = 40;
                break;
            default:
                return 0;
        }

        h ^= protocol;
        if (protocol is ProtocolTcp or ProtocolUdp && transport > 0 && packet.Length >= transport + 4)
        {
            h ^= (uint)(BinaryPrimitives.ReadUInt16BigEndian(packet[transport..]) ^ BinaryPrimitives.ReadUInt16BigEndian(packet[(transport + 2)..])) << 8;
        }

        // Fibonacci hashing spreads the XOR over the high bits.
        return (uint)((h * 0x9E3779B97F4A7C15UL) >> 32);
    }
}
