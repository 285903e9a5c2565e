using System.Text.Json;

namespace Hipnat.Runtime.Configuration;

/// <summary>
/// How <c>hipnat run</c> follows the host's addresses (config "mobility"): a daemon listening on a wildcard address
/// watches its interfaces through rtnetlink and hands every change of its locator set to the core (RFC 8046).
/// </summary>
public sealed class MobilitySettings
{
    /// <summary>The keys of the config file's "mobility" object.</summary>
    internal static readonly string[] Keys = ["addressDebounceMs", "pathSilenceMs", "handoverWaitMs"];

    public const int MaxAddressDebounceMs = 5000;

    /// <summary>Quiet time after the last interface change before the new address set is taken (default 50 ms).</summary>
    public TimeSpan AddressDebounce { get; set; } = Netlink.AddressMonitor.DefaultDebounce;

    /// <summary>Silence on the active path, while traffic flows, after which it is suspected and probed; zero: off
    /// (core default 400 ms; draft-melen-hip-nat-mm §5.2).</summary>
    public TimeSpan? PathSilence { get; set; }

    /// <summary>How long a handover UPDATE waits for the registrars and STUN to answer (core default 500 ms).</summary>
    public TimeSpan? HandoverWait { get; set; }

    /// <summary>Reads the config file's "mobility" object; errors name the key.</summary>
    internal static MobilitySettings Read(JsonElement value, string source)
    {
        ConfigException Fail(string key, JsonElement v, string problem, string fix) => ConfigException.ForKey(source, key, v, problem, fix);

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail("mobility", value, "expected an object", "write e.g. { \"addressDebounceMs\": 50 }");
        }

        var s = new MobilitySettings();
        foreach (var p in value.EnumerateObject())
        {
            string key = "mobility." + p.Name;
            var v = p.Value;
            switch (p.Name)
            {
                case "addressDebounceMs":
                    s.AddressDebounce = TimeSpan.FromMilliseconds(ReadMs(key, v, 0, MaxAddressDebounceMs, "milliseconds to wait after the last interface change, 0-5000 (default 50)"));
                    break;

                case "pathSilenceMs":
                    s.PathSilence = TimeSpan.FromMilliseconds(ReadMs(key, v, 0, 10000, "milliseconds of silence on the active path while traffic flows before it is probed, 0 (off) or 100-10000 (default 400)", min: 100));
                    break;
                case "handoverWaitMs":
                    s.HandoverWait = TimeSpan.FromMilliseconds(ReadMs(key, v, 0, 5000, "milliseconds a handover UPDATE waits for the relays' answers, 0-5000 (default 500)"));
                    break;
                default:
                    throw new ConfigException($"config {source}: unknown key \"mobility.{p.Name}\"; valid keys in mobility: {string.Join(", ", Keys)} (see docs/config.md)");
            }
        }

        return s;

        long ReadMs(string key, JsonElement v, long lo, long hi, string expected, long min = 0)
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n))
            {
                throw Fail(key, v, "expected a whole number of milliseconds", "write " + expected);
            }

            if (n < lo || n > hi || (n != 0 && n < min))
            {
                throw Fail(key, v, min > 0 ? $"out of range (0 or {min}-{hi})" : $"out of range {lo}-{hi}", "write " + expected);
            }

            return n;
        }
    }

    /// <summary>The core's mobility options from these settings (unset ones keep the core's defaults).</summary>
    internal void ApplyTo(ref TimeSpan pathSilence, ref TimeSpan handoverWait)
    {
        pathSilence = PathSilence ?? pathSilence;
        handoverWait = HandoverWait ?? handoverWait;
    }
}
