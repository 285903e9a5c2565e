using System.Text.Json;
using Hipnat.Core.Host;

namespace Hipnat.Runtime.Configuration;

/// <summary>
/// Simultaneous multihoming (config "multihoming", flag <c>--multihoming</c>): how a host with verified paths from
/// several interfaces uses them (RFC 8047 §4.2; draft-melen-hip-nat-mm §3.2.1, §4; docs/multihoming.md).
/// </summary>
public sealed class MultihomingSettings
{
    /// <summary>The keys of the config file's "multihoming" object.</summary>
    internal static readonly string[] Keys = ["policy", "failoverSilenceMs", "standbyKeepaliveMs", "failbackHoldMs"];

    /// <summary>The accepted policy names, as written in the config and on the command line.</summary>
    public const string PolicyNames = "failover, hot-standby, load-balance";

    /// <summary>Default failover: one SA pair, another path only when the active one fails.</summary>
    public MultihomingPolicy Policy { get; set; } = MultihomingPolicy.Failover;

    /// <summary>Silence on the active pair, while a verified standby is ready, before it is probed (default 150 ms).</summary>
    public TimeSpan? FailoverSilence { get; set; }

    /// <summary>How often standby pairs are verified again; 0: no standbys kept, cold backup only (default 15 s).</summary>
    public TimeSpan? StandbyKeepalive { get; set; }

    /// <summary>How long a recovered pair answers before traffic goes back to it; 0: never (default 60 s).</summary>
    public TimeSpan? FailbackHold { get; set; }

    /// <summary>Parses a policy name (failover | hot-standby | load-balance, case-insensitive).</summary>
    public static bool TryParsePolicy(string? text, out MultihomingPolicy policy)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "failover":
                policy = MultihomingPolicy.Failover;
                return true;
            case "hot-standby":
                policy = MultihomingPolicy.HotStandby;
                return true;
            case "load-balance":
                policy = MultihomingPolicy.LoadBalance;
                return true;
            default:
                policy = MultihomingPolicy.Failover;
                return false;
        }
    }

    /// <summary>The policy's name as written in the config.</summary>
    public static string Name(MultihomingPolicy policy) => policy switch
    {
        MultihomingPolicy.HotStandby => "hot-standby",
        MultihomingPolicy.LoadBalance => "load-balance",
        _ => "failover",
    };

    /// <summary>Reads the config file's "multihoming" object; errors name the key.</summary>
    internal static MultihomingSettings Read(JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw ConfigException.ForKey(source, "multihoming", value, "expected an object", "write e.g. { \"policy\": \"load-balance\" }");
        }

        var s = new MultihomingSettings();
        foreach (var p in value.EnumerateObject())
        {
            switch (p.Name)
            {
                case "policy":
                    if (p.Value.ValueKind != JsonValueKind.String || !TryParsePolicy(p.Value.GetString(), out var policy))
                    {
                        throw ConfigException.ForKey(source, "multihoming.policy", p.Value, "not a multihoming policy", $"write one of {PolicyNames} (default failover)");
                    }

                    s.Policy = policy;
                    break;
                case "failoverSilenceMs":
                    s.FailoverSilence = TimeSpan.FromMilliseconds(ReadMs(source, "multihoming." + p.Name, p.Value, 0, 10000, 50,
                        "milliseconds of silence on the active pair before a standby may take over, 0 (use mobility.pathSilenceMs) or 50-10000 (default 150)"));
                    break;
                case "standbyKeepaliveMs":
                    s.StandbyKeepalive = TimeSpan.FromMilliseconds(ReadMs(source, "multihoming." + p.Name, p.Value, 0, 3600000, 15000,
                        "milliseconds between standby verifications, 0 (no standbys: cold backup) or 15000-3600000 (RFC 9028 §4.10: not under 15 s; default 15000)"));
                    break;
                case "failbackHoldMs":
                    s.FailbackHold = TimeSpan.FromMilliseconds(ReadMs(source, "multihoming." + p.Name, p.Value, 0, 3600000, 1000,
                        "milliseconds a recovered pair must answer before traffic returns to it, 0 (never) or 1000-3600000 (default 60000)"));
                    break;
                default:
                    throw new ConfigException($"config {source}: unknown key \"multihoming.{p.Name}\"; valid keys in multihoming: {string.Join(", ", Keys)} (see docs/config.md)");
            }
        }

        return s;
    }

    private static long ReadMs(string source, string key, JsonElement v, long lo, long hi, long min, string expected)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n))
        {
            throw ConfigException.ForKey(source, key, v, "expected a whole number of milliseconds", "write " + expected);
        }

        if (n < lo || n > hi || (n != 0 && n < min))
        {
            throw ConfigException.ForKey(source, key, v, $"out of range (0 or {min}-{hi})", "write " + expected);
        }

        return n;
    }
}
