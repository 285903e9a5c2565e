using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Hipnat.Wire.Dns;

/// <summary>
/// A HIP record as a zone master file writes it (RFC 1035 §5.1, RFC 8005 §6):
/// <c>owner [TTL] [IN] HIP ( pk-algorithm hit public-key rvs... )</c>, or with the generic type and data of RFC 3597
/// §5 (<c>owner [TTL] [IN] TYPE55 \# LENGTH HEX</c>) for servers that do not know HIP by name.
/// </summary>
public sealed record HipZoneEntry(string Owner, uint? Ttl, HipResourceRecord Record)
{
    /// <summary>
    /// One line for a zone file. <paramref name="generic"/> writes <c>TYPE55 \# ...</c> (RFC 3597 §5) instead of
    /// <c>HIP ( ... )</c>.
    /// </summary>
    public string Format(bool generic = false)
    {
        string ttl = Ttl is { } t ? t.ToString(CultureInfo.InvariantCulture) + " " : string.Empty;
        return generic
            ? $"{Owner} {ttl}IN TYPE{HipResourceRecord.RecordType} {Record.ToGenericPresentation()}"
            : $"{Owner} {ttl}IN HIP {Record.ToPresentation()}";
    }

    /// <summary>
    /// Parses one HIP entry (which may span lines inside its parentheses) with an explicit owner name. Never throws.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out HipZoneEntry? entry, [NotNullWhen(false)] out string? error)
    {
        entry = null;
        var head = (text ?? string.Empty).TrimStart();
        var fields = new List<string>();
        int o = 0;
        // Owner, then TTL and class in either order (RFC 1035 §5.1), then the type.
        while (fields.Count < 4)
        {
            while (o < head.Length && char.IsWhiteSpace(head[o]))
            {
                o++;
            }

            int start = o;
            while (o < head.Length && !char.IsWhiteSpace(head[o]) && head[o] != '(')
            {
                o++;
            }

            if (start == o)
            {
                break;
            }

            string field = head[start..o];
            fields.Add(field);
            if (field.Equals("HIP", StringComparison.OrdinalIgnoreCase) || field.Equals("TYPE55", StringComparison.OrdinalIgnoreCase))
            {
                break;
            }
        }

        int typeIndex = fields.FindIndex(f => f.Equals("HIP", StringComparison.OrdinalIgnoreCase) || f.Equals("TYPE55", StringComparison.OrdinalIgnoreCase));
        if (typeIndex < 1)
        {
            error = "expected 'OWNER [TTL] [IN] HIP ( ALGORITHM HIT PUBLICKEY [RVS...] )'";
            return false;
        }

        if (!DnsName.TryNormalize(fields[0], out var owner, out var ownerError))
        {
            error = "owner name " + ownerError;
            return false;
        }

        uint? ttl = null;
        foreach (var f in fields.Skip(1).Take(typeIndex - 1))
        {
            if (f.Equals("IN", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (uint.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out uint t) && ttl is null)
            {
                ttl = t;
                continue;
            }

            error = $"'{f}' between the owner and the type is neither a TTL nor the class IN";
            return false;
        }

        if (!HipResourceRecord.TryParsePresentation(head[o..], out var record, out error))
        {
            return false;
        }

        entry = new HipZoneEntry(owner, ttl, record);
        return true;
    }
}
