using System.Net;
using System.Net.Sockets;

namespace Hipnat.Core.Transport;

/// <summary>An IP address with a UDP port (or port 0 for raw HIP): one end of a locator pair.</summary>
public readonly record struct TransportAddress(IPAddress Address, ushort Port, TransportKind Kind = TransportKind.Udp)
{
    public const ushort DefaultHipPort = 10500;

    public static TransportAddress Udp(IPAddress address, ushort port) => new(address, port, TransportKind.Udp);

    public static TransportAddress Raw(IPAddress address) => new(address, 0, TransportKind.RawHip);

    public bool IsIPv4 => Address.AddressFamily == AddressFamily.InterNetwork;

    public override string ToString() => Kind == TransportKind.RawHip
        ? $"hip://{Address}"
        : Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";

    /// <summary>Parses "ADDR:PORT", "[V6]:PORT", or "ADDR" (default port); "hip://ADDR" selects raw HIP.</summary>
    public static bool TryParse(string? text, out TransportAddress value, out string? error)
    {
        value = default;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty address";
            return false;
        }

        text = text.Trim();
        if (text.StartsWith("hip://", StringComparison.OrdinalIgnoreCase))
        {
            if (!IPAddress.TryParse(text[6..].Trim('[', ']'), out var rawIp))
            {
                error = $"'{text}': not an IP address after hip://";
                return false;
            }

            value = Raw(rawIp);
            return true;
        }

        string host = text;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{text}': missing ']' after an IPv6 address";
                return false;
            }

            host = text[1..close];
            if (close + 1 < text.Length)
            {
                if (text[close + 1] != ':')
                {
                    error = $"'{text}': expected ':PORT' after ']'";
                    return false;
                }

                portText = text[(close + 2)..];
            }
        }
        else if (text.Count(c => c == ':') == 1)
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (!IPAddress.TryParse(host, out var ip))
        {
            error = $"'{text}': '{host}' is not an IP address (use ADDR:PORT, [IPv6]:PORT or hip://ADDR)";
            return false;
        }

        ushort port = DefaultHipPort;
        if (portText is not null && (!ushort.TryParse(portText, out port) || port == 0))
        {
            error = $"'{text}': port '{portText}' is not a number in 1-65535";
            return false;
        }

        value = Udp(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip, port);
        return true;
    }
}
