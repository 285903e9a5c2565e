using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Hipnat.Wire.Dns;

/// <summary>
/// Domain names as HIP resource records carry them (RFC 8005 §5.6): uncompressed wire format, a series of labels
/// each preceded by its length and ended by the zero-length root label (RFC 1035 §3.1, §3.3). hipnat writes and
/// accepts host names only: labels of letters, digits, '-' and '_', compared case-insensitively.
/// </summary>
public static class DnsName
{
    /// <summary>Longest label (RFC 1035 §2.3.4).</summary>
    public const int MaxLabelLength = 63;

    /// <summary>Longest name in wire format, root label included (RFC 1035 §2.3.4).</summary>
    public const int MaxWireLength = 255;

    /// <summary>
    /// Checks a name in presentation form and returns it absolute (ending in '.') and in lower case. "bob.example"
    /// and "Bob.Example." are the same name; hipnat never appends a search domain. The root "." alone is refused.
    /// </summary>
    public static bool TryNormalize(string? text, [NotNullWhen(true)] out string? name, [NotNullWhen(false)] out string? error)
    {
        name = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || text == ".")
        {
            error = "is empty; give a host name such as bob.example.com";
            return false;
        }

        string body = text.EndsWith('.') ? text[..^1] : text;
        int wire = 1;
        foreach (var label in body.Split('.'))
        {
            if (label.Length == 0)
            {
                error = $"'{text}' has an empty label (two dots in a row, or a leading dot)";
                return false;
            }

            if (label.Length > MaxLabelLength)
            {
                error = $"'{text}' has a label of {label.Length} characters; at most {MaxLabelLength} are allowed (RFC 1035 §2.3.4)";
                return false;
            }

            foreach (char c in label)
            {
                if (!IsLabelChar(c))
                {
                    error = $"'{text}' contains '{c}'; host names use letters, digits, '-' and '_'";
                    return false;
                }
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                error = $"'{text}' has a label that starts or ends with '-'";
                return false;
            }

            wire += 1 + label.Length;
        }

        if (wire > MaxWireLength)
        {
            error = $"'{text}' is {wire} octets long in wire format; at most {MaxWireLength} are allowed (RFC 1035 §2.3.4)";
            return false;
        }

        name = body.ToLowerInvariant() + ".";
        error = null;
        return true;
    }

    /// <summary>
    /// True when <paramref name="text"/> is meant as a host name rather than an IP address or a HIT: a valid name with at
    /// least one dot ("bob.example.com", or "bob." for a single label), so that a mistyped HIT or locator such as "x" is
    /// still reported as one.
    /// </summary>
    public static bool LooksLikeName(string? text) =>
        !string.IsNullOrWhiteSpace(text) && text.Contains('.', StringComparison.Ordinal)
        && !System.Net.IPAddress.TryParse(text.Trim(), out _) && TryNormalize(text, out _, out _);

    /// <summary>Octets of <paramref name="name"/> (already normalized) in uncompressed wire format.</summary>
    public static int WireLength(string name)
    {
        string body = name.TrimEnd('.');
        return body.Length == 0 ? 1 : body.Length + 2;
    }

    /// <summary>Writes <paramref name="name"/> (normalized, see <see cref="TryNormalize"/>) uncompressed; returns the octets written.</summary>
    public static int Write(string name, Span<byte> destination)
    {
        int o = 0;
        string body = name.TrimEnd('.');
        if (body.Length > 0)
        {
            foreach (var label in body.Split('.'))
            {
                destination[o++] = (byte)label.Length;
                o += Encoding.ASCII.GetBytes(label, destination[o..]);
            }
        }

        destination[o++] = 0;
        return o;
    }

    /// <summary>
    /// Reads one uncompressed name from the start of <paramref name="source"/> (RFC 8005 §5.6: RVS names MUST NOT be
    /// compressed, so a compression pointer is an error). Returns the name in lower case, ending in '.'.
    /// </summary>
    public static WireError TryRead(ReadOnlySpan<byte> source, out string name, out int consumed)
    {
        name = string.Empty;
        consumed = 0;
        var sb = new StringBuilder();
        int o = 0;
        while (true)
        {
            if (o >= source.Length)
            {
                return WireError.Truncated;
            }

            int len = source[o++];
            if (len == 0)
            {
                break;
            }

            if (len > MaxLabelLength)
            {
                // 0xC0: a compression pointer (RFC 1035 §4.1.4), forbidden here; 0x40, 0x80: reserved label types.
                return WireError.InvalidParameter;
            }

            if (o + len > source.Length)
            {
                return WireError.Truncated;
            }

            if (o + len + 1 > MaxWireLength)
            {
                return WireError.TooLong;
            }

            foreach (byte b in source.Slice(o, len))
            {
                if (!IsLabelChar((char)b))
                {
                    return WireError.InvalidParameter;
                }

                sb.Append(char.ToLowerInvariant((char)b));
            }

            sb.Append('.');
            o += len;
        }

        if (sb.Length == 0)
        {
            // The root name is no rendezvous server.
            return WireError.InvalidParameter;
        }

        name = sb.ToString();
        consumed = o;
        return WireError.None;
    }

    private static bool IsLabelChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
}
