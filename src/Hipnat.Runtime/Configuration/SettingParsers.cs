using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Configuration;

/// <summary>
/// Parsers shared by the config file and the command line. Each returns an error that explains the problem and
/// shows a correct example; callers prefix it with the flag or key.
/// </summary>
public static class SettingParsers
{
    public const string ExampleHit = "2001:20::1";
    public const string PeerExample = ExampleHit + "=192.0.2.1:10500";
    public const string LogLevels = "trace, debug, information, warning, error, critical, none";
    public const string ServiceNames = "rendezvous, relay-hip, relay-esp";
    public const string RelayExample = ExampleHit + "=192.0.2.1:10500";

    /// <summary>Default STUN port (RFC 8489 §9).</summary>
    public const ushort StunPort = 3478;

    public static bool TryParseHit(string? text, out Hit hit, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (!Hit.TryParse(text?.Trim(), out hit))
        {
            error = $"'{text}' is not a HIT: expected an IPv6-notation HIT such as {ExampleHit} (print yours with `hipnat hit KEYFILE`)";
            return false;
        }

        if (!hit.IsOrchidV2)
        {
            error = $"'{text}' is not a HIT: HITs are ORCHIDv2 addresses under 2001:20::/28 (2001:20:: to 2001:2f:...); print yours with `hipnat hit KEYFILE`";
            return false;
        }

        return true;
    }

    /// <summary>Parses ADDR:PORT, [V6]:PORT, ADDR (default port 10500) or hip://ADDR.</summary>
    public static bool TryParseAddress(string? text, out TransportAddress address, [NotNullWhen(false)] out string? error)
    {
        if (!TransportAddress.TryParse(text, out address, out error))
        {
            error = (error ?? "not an address") + "; e.g. 192.0.2.1:10500 or [2001:db8::1]:10500";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Parses "HIT=ADDR:PORT" (several locators may be separated by commas).</summary>
    public static bool TryParsePeer(string? text, out Hit hit, out List<TransportAddress> locators, [NotNullWhen(false)] out string? error)
    {
        hit = default;
        locators = [];
        int eq = text?.IndexOf('=', StringComparison.Ordinal) ?? -1;
        if (text is null || eq <= 0 || eq == text.Length - 1)
        {
            error = $"expected HIT=ADDR:PORT, e.g. {PeerExample}";
            return false;
        }

        if (!TryParseHit(text[..eq], out hit, out var hitError))
        {
            error = $"{hitError}; expected HIT=ADDR:PORT, e.g. {PeerExample}";
            return false;
        }

        foreach (var part in text[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries))
        {
            if (!TryParseAddress(part, out var locator, out var addressError))
            {
                error = $"locator {addressError}";
                return false;
            }

            locators.Add(locator);
        }

        error = null;
        return true;
    }

    /// <summary>A flag's on/off word: on, true, yes / off, false, no, none (any case). False for anything else (e.g.
    /// the name or address such a flag also takes).</summary>
    public static bool TryParseSwitch(string? text, out bool on)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "on" or "true" or "yes": on = true; return true;
            case "off" or "false" or "no" or "none": on = false; return true;
            default: on = false; return false;
        }
    }

    public static bool TryParseLogLevel(string? text, out LogLevel level)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "trace": level = LogLevel.Trace; return true;
            case "debug": level = LogLevel.Debug; return true;
            case "info" or "information": level = LogLevel.Information; return true;
            case "warn" or "warning": level = LogLevel.Warning; return true;
            case "error": level = LogLevel.Error; return true;
            case "critical": level = LogLevel.Critical; return true;
            case "none": level = LogLevel.None; return true;
            default: level = LogLevel.Information; return false;
        }
    }

    public static bool TryParseTransport(string? text, out TransportMode mode)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "udp": mode = TransportMode.Udp; return true;
            case "raw": mode = TransportMode.Raw; return true;
            default: mode = TransportMode.Udp; return false;
        }
    }

    /// <summary>The name of a registration service as flags, config and status write it.</summary>
    public static string ServiceName(RegistrationType type) => type switch
    {
        RegistrationType.Rendezvous => "rendezvous",
        RegistrationType.RelayUdpHip => "relay-hip",
        RegistrationType.RelayUdpEsp => "relay-esp",
        RegistrationType.CandidateDiscovery => "candidate-discovery",
        _ => ((int)type).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Parses rendezvous, relay-hip or relay-esp (also RFC spellings such as RELAY_UDP_HIP).</summary>
    public static bool TryParseService(string? text, out RegistrationType type)
    {
        switch (text?.Trim().ToLowerInvariant().Replace('_', '-'))
        {
            case "rendezvous" or "rvs": type = RegistrationType.Rendezvous; return true;
            case "relay-hip" or "relay-udp-hip": type = RegistrationType.RelayUdpHip; return true;
            case "relay-esp" or "relay-udp-esp": type = RegistrationType.RelayUdpEsp; return true;
            default: type = default; return false;
        }
    }

    /// <summary>Parses a comma-separated service list such as "rendezvous,relay-hip".</summary>
    public static bool TryParseServices(string? text, out List<RegistrationType> services, [NotNullWhen(false)] out string? error)
    {
        services = [];
        foreach (var part in (text ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TryParseService(part, out var t))
            {
                error = $"unknown service '{part}'; use a comma-separated list of {ServiceNames}";
                return false;
            }

            if (!services.Contains(t))
            {
                services.Add(t);
            }
        }

        if (services.Count == 0)
        {
            error = $"no service given; use a comma-separated list of {ServiceNames}";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Parses "HIT=ADDR:PORT" for a relay: one UDP address.</summary>
    public static bool TryParseRelay(string? text, out Hit hit, out TransportAddress address, [NotNullWhen(false)] out string? error)
    {
        hit = default;
        address = default;
        int eq = text?.IndexOf('=', StringComparison.Ordinal) ?? -1;
        if (text is null || eq <= 0 || eq == text.Length - 1)
        {
            error = $"expected RELAYHIT=ADDR:PORT, e.g. {RelayExample} (the relay's HIT: `hipnat hit` on its key, or its `hipnat status`)";
            return false;
        }

        if (!TryParseHit(text[..eq], out hit, out var hitError))
        {
            error = $"{hitError}; expected RELAYHIT=ADDR:PORT, e.g. {RelayExample}";
            return false;
        }

        if (!TryParseUdpAddress(text[(eq + 1)..].Trim(), out address, out error))
        {
            return false;
        }

        return true;
    }

    /// <summary>Parses a UDP address (ADDR:PORT, [V6]:PORT or ADDR with <paramref name="defaultPort"/>); hip:// is refused.</summary>
    public static bool TryParseUdpAddress(string? text, out TransportAddress address, [NotNullWhen(false)] out string? error, ushort defaultPort = TransportAddress.DefaultHipPort)
    {
        if (!TryParseAddress(text, out address, out error))
        {
            return false;
        }

        if (address.Kind != TransportKind.Udp)
        {
            error = $"'{text}' is a raw HIP address; this needs a UDP address such as 192.0.2.1:{defaultPort}";
            return false;
        }

        if (defaultPort != TransportAddress.DefaultHipPort && !HasExplicitPort(text!))
        {
            address = TransportAddress.Udp(address.Address, defaultPort);
        }

        if (address.Address.Equals(IPAddress.Any) || address.Address.Equals(IPAddress.IPv6Any))
        {
            error = $"'{text}' is a wildcard address; give the server's address, e.g. 192.0.2.1:{defaultPort}";
            return false;
        }

        return true;
    }

    private static bool HasExplicitPort(string text)
    {
        text = text.Trim();
        if (text.StartsWith('['))
        {
            return text.Contains("]:", StringComparison.Ordinal);
        }

        return text.Count(c => c == ':') == 1;
    }

    /// <summary>Parses "MIN-MAX" UDP ports, e.g. "40000-49999".</summary>
    public static bool TryParsePortRange(string? text, out int min, out int max, [NotNullWhen(false)] out string? error)
    {
        min = max = 0;
        var parts = (text ?? string.Empty).Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out min)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out max))
        {
            error = $"'{text}' is not a port range; write MIN-MAX, e.g. 40000-49999";
            return false;
        }

        if (min < 1 || max > 65535 || min > max)
        {
            error = $"'{text}': ports must be 1-65535 with MIN <= MAX, e.g. 40000-49999";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Parses the metrics endpoint: "PORT" (loopback), "ADDR:PORT" or "[IPv6]:PORT".</summary>
    public static bool TryParseMetricsEndpoint(string? text, [NotNullWhen(true)] out IPEndPoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        text = text?.Trim();
        const string example = "use PORT (loopback), ADDR:PORT or [IPv6]:PORT, e.g. 127.0.0.1:9464";
        if (string.IsNullOrEmpty(text))
        {
            error = "empty; " + example;
            return false;
        }

        string host = "127.0.0.1";
        string portText = text;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{text}': missing ']:PORT'; " + example;
                return false;
            }

            host = text[1..close];
            portText = text[(close + 2)..];
        }
        else if (text.Contains(':', StringComparison.Ordinal))
        {
            int colon = text.LastIndexOf(':');
            if (text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"'{text}': put an IPv6 address in brackets, e.g. [::1]:9464";
                return false;
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (!IPAddress.TryParse(host, out var ip))
        {
            error = $"'{host}' is not an IP address; " + example;
            return false;
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
        {
            error = $"port '{portText}' is not a number in 1-65535; " + example;
            return false;
        }

        endpoint = new IPEndPoint(ip, port);
        error = null;
        return true;
    }

    public static bool TryParseLogFormat(string? text, out LogFormat format)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "simple" or "text": format = LogFormat.Simple; return true;
            case "json": format = LogFormat.Json; return true;
            default: format = LogFormat.Simple; return false;
        }
    }

    /// <summary>Keepalive period check shared by the flag and the config key (RFC 9028 §4.10: not below 15 s).</summary>
    public static string? CheckKeepalive(double seconds)
    {
        if (double.IsNaN(seconds) || seconds < 0 || seconds > 3600)
        {
            return "out of range; use 0 (off) or 15-3600 seconds";
        }

        if (seconds > 0 && seconds < 15)
        {
            return "RFC 9028 forbids NAT keepalives more often than every 15 s (§4.10; relays may treat faster ones as abuse); use 0 (off) or 15-3600";
        }

        return null;
    }

    /// <summary>
    /// Syntax check of a control group (flag and config key share it): a group name (letters, digits, '.', '_', '-',
    /// not starting with '-', at most 32 characters) or a gid. Whether the group exists is checked at start-up.
    /// </summary>
    public static string? CheckGroupName(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return "empty group name";
        }

        if (text.Length > 32 || text[0] == '-' || !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            return "not a group name (letters, digits, '.', '_' and '-', at most 32 characters) nor a gid";
        }

        return null;
    }
}
