using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Hipnat.Nat.Stun;

/// <summary>
/// Value encoding shared by MAPPED-ADDRESS/ALTERNATE-SERVER (plain, RFC 8489 §14.1, §14.15) and
/// XOR-MAPPED-ADDRESS/XOR-PEER-ADDRESS/XOR-RELAYED-ADDRESS (RFC 8489 §14.2, RFC 8656 §18.3, §18.5).
/// </summary>
public static class StunAddressCodec
{
    public const int IPv4ValueLength = 8;
    public const int IPv6ValueLength = 20;

    /// <summary>Length of the encoded value for an endpoint of this family.</summary>
    public static int ValueLength(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6 && !endPoint.Address.IsIPv4MappedToIPv6
            ? IPv6ValueLength
            : IPv4ValueLength;

    /// <summary>
    /// Decodes an address value. Returns <see cref="StunError.InvalidAttribute"/> for a length that does not fit
    /// the family; an unknown family yields <see cref="StunError.None"/> with a null endpoint, since such an
    /// attribute SHOULD be ignored (RFC 8489 §6.3.3).
    /// </summary>
    public static StunError TryDecode(ReadOnlySpan<byte> value, bool xor, StunTransactionId transactionId, out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (value.Length < 4)
        {
            return StunError.InvalidAttribute;
        }

        // The first octet MUST be ignored by receivers (RFC 8489 §14.1).
        byte family = value[1];
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        if (xor)
        {
            // X-Port: port XOR the most significant 16 bits of the magic cookie (RFC 8489 §14.2).
            port ^= (ushort)(StunHeader.MagicCookie >> 16);
        }

        switch ((StunAddressFamily)family)
        {
            case StunAddressFamily.IPv4:
                if (value.Length != IPv4ValueLength)
                {
                    return StunError.InvalidAttribute;
                }

                Span<byte> v4 = stackalloc byte[4];
                value.Slice(4, 4).CopyTo(v4);
                if (xor)
                {
                    XorWithMask(v4, transactionId);
                }

                endPoint = new IPEndPoint(new IPAddress(v4), port);
                return StunError.None;

            case StunAddressFamily.IPv6:
                if (value.Length != IPv6ValueLength)
                {
                    return StunError.InvalidAttribute;
                }

                Span<byte> v6 = stackalloc byte[16];
                value.Slice(4, 16).CopyTo(v6);
                if (xor)
                {
                    XorWithMask(v6, transactionId);
                }

                endPoint = new IPEndPoint(new IPAddress(v6), port);
                return StunError.None;

            default:
                return StunError.None;
        }
    }

    /// <summary>Encodes an address value into <paramref name="destination"/>; returns the octets written.</summary>
    public static int Encode(Span<byte> destination, IPEndPoint endPoint, bool xor, StunTransactionId transactionId)
    {
        var address = endPoint.Address;
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        if (!v6 && address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("STUN carries IPv4 and IPv6 addresses only", nameof(endPoint));
        }

        int addressLength = v6 ? 16 : 4;
        destination[0] = 0;
        destination[1] = (byte)(v6 ? StunAddressFamily.IPv6 : StunAddressFamily.IPv4);
        ushort port = (ushort)endPoint.Port;
        if (xor)
        {
            port ^= (ushort)(StunHeader.MagicCookie >> 16);
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], port);
        var addressBytes = destination.Slice(4, addressLength);
        if (!address.TryWriteBytes(addressBytes, out _))
        {
            throw new ArgumentException("address does not fit", nameof(endPoint));
        }

        if (xor)
        {
            XorWithMask(addressBytes, transactionId);
        }

        return 4 + addressLength;
    }

    /// <summary>
    /// XOR with the magic cookie (IPv4) or the magic cookie followed by the transaction ID (IPv6),
    /// in network byte order (RFC 8489 §14.2).
    /// </summary>
    private static void XorWithMask(Span<byte> address, StunTransactionId transactionId)
    {
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, StunHeader.MagicCookie);
        transactionId.WriteTo(mask[4..]);
        for (int i = 0; i < address.Length; i++)
        {
            address[i] ^= mask[i];
        }
    }
}
