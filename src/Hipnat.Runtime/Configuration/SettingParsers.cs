using System.Diagnostics.CodeAnalysis;
using Hipnat.Core.Transport;
using Hipnat.Wire;
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
}
