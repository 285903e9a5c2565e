namespace Hipnat.Wire.Parameters;

/// <summary>Validation shared by the parameter readers; every failure is a <see cref="HipFormatException"/>.</summary>
internal static class ParameterChecks
{
    /// <summary>A fixed-size parameter whose Length is not the one its RFC defines.</summary>
    public static void FixedLength(ReadOnlySpan<byte> contents, int expected, ushort type)
    {
        if (contents.Length != expected)
        {
            throw new HipFormatException(
                WireError.InvalidParameter,
                $"{ParameterType.Name(type)} Length must be {expected}, got {contents.Length}");
        }
    }

    public static void MultipleOf(int length, int unit, ushort type, string what)
    {
        if (length % unit != 0)
        {
            throw new HipFormatException(
                WireError.InvalidParameter,
                $"{ParameterType.Name(type)} {what} of {length} octets is not a multiple of {unit}");
        }
    }

    public static void NotEmpty(int length, ushort type, string what)
    {
        if (length == 0)
        {
            throw new HipFormatException(WireError.InvalidParameter, $"{ParameterType.Name(type)} has an empty {what}");
        }
    }

    /// <summary>An HMAC is the natural output size of RHASH: SHA-1, SHA-256 or SHA-384 (RFC 7401 §5.2.12).</summary>
    public static void HmacLength(int length, ushort type)
    {
        if (length is not (20 or 32 or 48))
        {
            throw new HipFormatException(
                WireError.InvalidParameter,
                $"{ParameterType.Name(type)} HMAC of {length} octets (expected 20, 32 or 48)");
        }
    }

    /// <summary>Reads a list of 16-bit identifiers that fills <paramref name="span"/>.</summary>
    public static ushort[] UInt16List(ReadOnlySpan<byte> span, ushort type, int maxKept = int.MaxValue)
    {
        MultipleOf(span.Length, 2, type, "identifier list");
        int n = Math.Min(span.Length / 2, maxKept);
        if (n == 0)
        {
            return [];
        }

        var list = new ushort[n];
        for (int i = 0; i < n; i++)
        {
            list[i] = (ushort)((span[2 * i] << 8) | span[(2 * i) + 1]);
        }

        return list;
    }

    public static void WriteUInt16List(ref HipWriter w, ReadOnlySpan<ushort> list)
    {
        foreach (ushort v in list)
        {
            w.WriteUInt16(v);
        }
    }

    /// <summary>Constructors of list parameters the RFC caps at six entries on send.</summary>
    public static void AtMostSix(int count, ushort type)
    {
        if (count > 6)
        {
            throw new ArgumentException($"{ParameterType.Name(type)} carries at most six identifiers, got {count}");
        }
    }
}
