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
    internal static readonly string[] Keys = ["policy"];

    /// <summary>The accepted policy names, as written in the config and on the command line.</summary>
    public const string PolicyNames = "failover, hot-standby, load-balance";

    /// <summary>Default failover: one SA pair, another path only when the active one fails.</summary>
    public MultihomingPolicy Policy { get; set; } = MultihomingPolicy.Failover;

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
                default:
                    throw new ConfigException($"config {source}: unknown key \"multihoming.{p.Name}\"; valid keys in multihoming: {string.Join(", ", Keys)} (see docs/config.md)");
            }
        }

        return s;
    }
}
