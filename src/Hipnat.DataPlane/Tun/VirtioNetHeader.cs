using System.Buffers.Binary;

namespace Hipnat.DataPlane.Tun;

/// <summary>
/// struct virtio_net_hdr (Linux uapi linux/virtio_net.h), the 10-octet header in front of every packet read from or
/// written to a TUN device opened with IFF_VNET_HDR (Documentation/networking/tuntap.rst). It says whether the
/// packet is a GSO super-segment the reader must cut into segments of <see cref="GsoSize"/> transport payload octets,
/// and whether its transport checksum is partial (only the pseudo-header sum, to be completed from
/// <see cref="CsumStart"/>). Fields are little-endian (TUN without TUNSETVNETBE on a little-endian host). The
/// kernel fills it in, but every value is only a claim: readers bound-check it against the packet.
/// </summary>
public readonly record struct VirtioNetHeader(byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize, ushort CsumStart, ushort CsumOffset)
{
    /// <summary>sizeof(struct virtio_net_hdr) without the mergeable-buffers count.</summary>
    public const int Size = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum at CsumStart + CsumOffset holds only the pseudo-header sum.</summary>
    public const byte FlagNeedsCsum = 1;

    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID: the checksum was verified.</summary>
    public const byte FlagDataValid = 2;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoUdp = 3;
    public const byte GsoTcpV6 = 4;

    /// <summary>VIRTIO_NET_HDR_GSO_UDP_L4: UDP segmentation (USO), each segment a datagram of GsoSize payload octets.</summary>
    public const byte GsoUdpL4 = 5;

    /// <summary>VIRTIO_NET_HDR_GSO_ECN: the TCP super-segment carries CWR (on its first segment only).</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>A plain packet: no segmentation, complete checksum.</summary>
    public static VirtioNetHeader None => default;

    /// <summary>The GSO type without the ECN bit.</summary>
    public byte GsoKind => (byte)(GsoType & ~GsoEcn);

    public bool NeedsChecksum => (Flags & FlagNeedsCsum) != 0;

    /// <summary>Reads the header from the first <see cref="Size"/> octets (false when shorter).</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out VirtioNetHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }

        header = new VirtioNetHeader(
            source[0],
            source[1],
            BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[8..]));
        return true;
    }

    /// <summary>Writes the header into the first <see cref="Size"/> octets of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Size, nameof(destination));
        destination[0] = Flags;
        destination[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], CsumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], CsumOffset);
    }
}
