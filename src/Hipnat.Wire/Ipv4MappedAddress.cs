using System.Net;
using System.Net.Sockets;

namespace Hipnat.Wire;

/// <summary>
/// The 128-bit address fields of HIP parameters (FROM, VIA_RVS, LOCATOR_SET, REG_FROM, RELAY_*, *_ADDRESS,
/// PEER_PERMISSION) carry an IPv6 address or an IPv4 address in "IPv4-mapped IPv6 address" format
/// (::ffff:a.b.c.d, RFC 4291 §2.5.5.2; RFC 8004 §4.2.2, RFC 8046 §4.2, RFC 9028 §5.6). On the wire an IPv4
/// address is always mapped; in memory it is a plain IPv4 <see cref="IPAddress"/>.
/// </summary>
public static class Ipv4MappedAddress
{
    /// <summary>Octets of an address field.</summary>
    public const int Length = 16;

    /// <summary>True when the 16 octets are ::ffff:0:0/96.</summary>
    public static bool IsMapped(ReadOnlySpan<byte> field) =>
        field.Length >= Length
        && field[..10].IndexOfAnyExcept((byte)0) < 0
        && field[10] == 0xFF
        && field[11] == 0xFF;

    /// <summary>Writes <paramref name="address"/> as 16 octets, mapping IPv4 into IPv6.</summary>
    public static void Write(IPAddress address, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (destination.Length < Length)
        {
            throw new ArgumentException("an address field is 16 octets", nameof(destination));
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            destination[..10].Clear();
            destination[10] = 0xFF;
            destination[11] = 0xFF;
            address.TryWriteBytes(destination.Slice(12, 4), out _);
            return;
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"not an IP address: {address.AddressFamily}", nameof(address));
        }

        address.TryWriteBytes(destination[..Length], out _);
    }

    /// <summary>Reads 16 octets; an IPv4-mapped address comes back as a plain IPv4 address.</summary>
    public static IPAddress Read(ReadOnlySpan<byte> field)
    {
        if (field.Length < Length)
        {
            throw new HipFormatException(WireError.Truncated, $"address field of {field.Length} octets");
        }

        return IsMapped(field) ? new IPAddress(field.Slice(12, 4)) : new IPAddress(field[..Length]);
    }

    /// <summary>The form the address takes on the wire: IPv4 becomes ::ffff:a.b.c.d, IPv6 is unchanged.</summary>
    public static IPAddress ToWireForm(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address;

    /// <summary>The in-memory form: ::ffff:a.b.c.d becomes a.b.c.d, anything else is unchanged.</summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
