using System.Text.Json;

namespace Hipnat.Runtime.Configuration;

/// <summary>
/// How <c>hipnat run</c> follows the host's addresses (config "mobility"): a daemon listening on a wildcard address
/// watches its interfaces through rtnetlink and hands every change of its locator set to the core (RFC 8046).
/// </summary>
public sealed class MobilitySettings
{
    /// <summary>The keys of the config file's "mobility" object.</summary>
    internal static readonly string[] Keys = ["addressDebounceMs"];

    public const int MaxAddressDebounceMs = 5000;

    /// <summary>Quiet time after the last interface change before the new address set is taken (default 50 ms).</summary>
    public TimeSpan AddressDebounce { get; set; } = Netlink.AddressMonitor.DefaultDebounce;

    /// <summary>Reads the config file's "mobility" object; errors name the key.</summary>
    internal static MobilitySettings Read(JsonElement value, string source)
    {
        ConfigException Fail(string key, JsonElement v, string problem, string fix)
        {
            var raw = v.GetRawText();
            if (raw.Length > 80)
            {
                raw = raw[..77] + "...";
            }

            return new ConfigException($"config {source}: key {key} = {raw}: {problem}; {fix}");
        }

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
                    {
                        const string expected = "milliseconds to wait after the last interface change, 0-5000 (default 50)";
                        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n))
                        {
                            throw Fail(key, v, "expected a whole number of milliseconds", "write " + expected);
                        }

                        if (n < 0 || n > MaxAddressDebounceMs)
                        {
                            throw Fail(key, v, $"out of range 0-{MaxAddressDebounceMs}", "write " + expected);
                        }

                        s.AddressDebounce = TimeSpan.FromMilliseconds(n);
                        break;
                    }

                default:
                    throw new ConfigException($"config {source}: unknown key \"mobility.{p.Name}\"; valid keys in mobility: {string.Join(", ", Keys)} (see docs/config.md)");
            }
        }

        return s;
    }
}
