namespace Hipnat.DataPlane.Tests.Beet;

/// <summary>A deliberately simple RFC 1071 checksum and pseudo-headers, the oracle for the tests.</summary>
internal static class NaiveChecksum
{
    public static ushort Of(IEnumerable<byte> bytes)
    {
        var list = bytes.ToList();
        if (list.Count % 2 == 1)
        {
            list.Add(0);
        }

        uint sum = 0;
        for (int i = 0; i < list.Count; i += 2)
        {
            sum += (uint)((list[i] << 8) | list[i + 1]);
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    /// <summary>Sum over pseudo-header and segment including its checksum field; 0 (or -0) means valid.</summary>
    public static bool IsValid(byte[] pseudoHeader, byte[] segment)
    {
        ushort c = Of(pseudoHeader.Concat(segment));
        return c == 0 || c == 0xFFFF;
    }

    public static byte[] Ipv6Pseudo(byte[] src, byte[] dst, int length, byte nextHeader) =>
        [.. src, .. dst, (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, 0, 0, 0, nextHeader];

    public static byte[] Ipv4Pseudo(byte[] src, byte[] dst, int length, byte protocol) =>
        [.. src, .. dst, 0, protocol, (byte)(length >> 8), (byte)length];
}
