namespace Hipnat.Wire.Parameters;

/// <summary>Reads and writes the octet list of Registration Types ending REG_* parameters (RFC 8003 §4.2-§4.5).</summary>
internal static class RegistrationTypes
{
    public static RegistrationType[] Read(ReadOnlySpan<byte> span)
    {
        if (span.IsEmpty)
        {
            return [];
        }

        var types = new RegistrationType[span.Length];
        for (int i = 0; i < span.Length; i++)
        {
            types[i] = (RegistrationType)span[i];
        }

        return types;
    }

    public static void Write(ref HipWriter w, ReadOnlySpan<RegistrationType> types)
    {
        foreach (var t in types)
        {
            w.WriteByte((byte)t);
        }
    }
}
