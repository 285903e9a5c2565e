using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Hipnat.Wire;

/// <summary>
/// A Host Identity Tag: 128 bits, an ORCHIDv2 (RFC 7343) derived from a Host Identity (RFC 7401 §3).
/// Stored as two big-endian halves so that ordering matches the numeric order RFC 7401 §4.4.2 uses
/// to break simultaneous-I1 ties.
/// </summary>
public readonly struct Hit : IEquatable<Hit>, IComparable<Hit>
{
    public const int Length = 16;

    /// <summary>ORCHIDv2 prefix 2001:20::/28 (RFC 7343 §6).</summary>
    public static ReadOnlySpan<byte> OrchidPrefix => [0x20, 0x01, 0x00, 0x20];

    private readonly ulong _hi;
    private readonly ulong _lo;

    public Hit(ulong high, ulong low)
    {
        _hi = high;
        _lo = low;
    }

    public Hit(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Length)
        {
            throw new ArgumentException("a HIT is 16 octets", nameof(bytes));
        }

        _hi = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _lo = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
    }

    public static Hit Zero => default;

    public bool IsZero => _hi == 0 && _lo == 0;

    public ulong High => _hi;

    public ulong Low => _lo;

    /// <summary>True when the HIT carries the ORCHIDv2 prefix 2001:20::/28.</summary>
    public bool IsOrchidV2 => (_hi >> 36) == 0x2001002UL;

    /// <summary>The 4-bit OGA ID (HIT suite) that follows the 28-bit prefix (RFC 7343 §3).</summary>
    public int OgaId => (int)((_hi >> 32) & 0xF);

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lo);
    }

    public byte[] ToArray()
    {
        var b = new byte[Length];
        WriteTo(b);
        return b;
    }

    public IPAddress ToIPAddress() => new(ToArray());

    public static Hit FromIPAddress(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException("a HIT is an IPv6 address", nameof(address));
        }

        Span<byte> b = stackalloc byte[Length];
        address.TryWriteBytes(b, out _);
        return new Hit(b);
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out Hit hit)
    {
        hit = default;
        if (text is null || !IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        hit = FromIPAddress(ip);
        return true;
    }

    public static Hit Parse(string text) =>
        TryParse(text, out var hit) ? hit : throw new FormatException($"'{text}' is not a HIT (an IPv6 address such as 2001:2x::...)");

    public int CompareTo(Hit other)
    {
        int c = _hi.CompareTo(other._hi);
        return c != 0 ? c : _lo.CompareTo(other._lo);
    }

    public bool Equals(Hit other) => _hi == other._hi && _lo == other._lo;

    public override bool Equals(object? obj) => obj is Hit h && Equals(h);

    public override int GetHashCode() => HashCode.Combine(_hi, _lo);

    public override string ToString() => ToIPAddress().ToString();

    public static bool operator ==(Hit a, Hit b) => a.Equals(b);

    public static bool operator !=(Hit a, Hit b) => !a.Equals(b);

    public static bool operator <(Hit a, Hit b) => a.CompareTo(b) < 0;

    public static bool operator >(Hit a, Hit b) => a.CompareTo(b) > 0;

    public static bool operator <=(Hit a, Hit b) => a.CompareTo(b) <= 0;

    public static bool operator >=(Hit a, Hit b) => a.CompareTo(b) >= 0;
}
