using System.Net;
using System.Text.Json;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Runtime.Names;

/// <summary>
/// Where peer names are looked up (config "dns"): the DNS servers to ask for HIP records (RFC 8005) and the
/// addresses of rendezvous servers. Without servers, the system resolver's (/etc/resolv.conf).
/// </summary>
public sealed class DnsSettings
{
    /// <summary>The keys of the config file's "dns" object.</summary>
    internal static readonly string[] Keys = ["servers", "timeoutMs", "retries"];

    public const int DnsPort = 53;

    /// <summary>DNS servers to ask; empty: those of /etc/resolv.conf.</summary>
    public List<IPEndPoint> Servers { get; } = [];

    /// <summary>How long to wait for each answer (default 2 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a query is sent again after a timeout (default 1).</summary>
    public int Retries { get; set; } = 1;

    /// <summary>A copy asking <paramref name="servers"/> instead.</summary>
    public DnsSettings WithServers(IEnumerable<IPEndPoint> servers)
    {
        var copy = new DnsSettings { Timeout = Timeout, Retries = Retries };
        copy.Servers.AddRange(servers);
        return copy;
    }

    /// <summary>Parses a server "ADDR", "ADDR:PORT" or "[IPv6]:PORT" (port 53 by default).</summary>
    public static bool TryParseServer(string? text, out IPEndPoint? server, out string? error)
    {
        server = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "is empty; give an address such as \"203.0.113.53\" or \"[2001:db8::53]:53\"";
            return false;
        }

        if (IPAddress.TryParse(text, out var bare) && !text.StartsWith('['))
        {
            server = new IPEndPoint(bare, DnsPort);
        }
        else if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0)
        {
            server = endpoint;
        }
        else
        {
            error = $"'{text}' is not an address or ADDR:PORT; give e.g. \"203.0.113.53\" or \"[2001:db8::53]:53\"";
            return false;
        }

        if (server.Address.Equals(IPAddress.Any) || server.Address.Equals(IPAddress.IPv6Any))
        {
            server = null;
            error = $"'{text}' is a wildcard address; give the DNS server's address";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Reads the config file's "dns" object; errors name the key.</summary>
    internal static DnsSettings Read(JsonElement value, string source)
    {
        ConfigException Fail(string key, JsonElement v, string problem, string fix) => ConfigException.ForKey(source, key, v, problem, fix);

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail("dns", value, "expected an object", "write e.g. { \"servers\": [\"203.0.113.53\"] }");
        }

        var s = new DnsSettings();
        foreach (var p in value.EnumerateObject())
        {
            string key = "dns." + p.Name;
            var v = p.Value;
            switch (p.Name)
            {
                case "servers":
                    if (v.ValueKind != JsonValueKind.Array)
                    {
                        throw Fail(key, v, "expected an array of addresses", "write e.g. [\"203.0.113.53\", \"[2001:db8::53]:53\"]");
                    }

                    int i = 0;
                    foreach (var item in v.EnumerateArray())
                    {
                        string itemKey = $"{key}[{i++}]";
                        if (item.ValueKind != JsonValueKind.String || !TryParseServer(item.GetString(), out var server, out var error))
                        {
                            throw Fail(itemKey, item, item.ValueKind == JsonValueKind.String ? "not a DNS server address" : "expected a string", "write e.g. \"203.0.113.53\" or \"203.0.113.53:53\"");
                        }

                        s.Servers.Add(server!);
                    }

                    break;
                case "timeoutMs":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int ms) || ms < 100 || ms > 60000)
                    {
                        throw Fail(key, v, "expected a whole number of milliseconds, 100-60000", "write e.g. 2000 (the default)");
                    }

                    s.Timeout = TimeSpan.FromMilliseconds(ms);
                    break;
                case "retries":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int retries) || retries < 0 || retries > 10)
                    {
                        throw Fail(key, v, "expected a whole number 0-10", "write e.g. 1 (the default)");
                    }

                    s.Retries = retries;
                    break;
                default:
                    throw new ConfigException($"config {source}: unknown key \"dns.{p.Name}\"; valid keys in dns: {string.Join(", ", Keys)} (see docs/config.md)");
            }
        }

        return s;
    }
}
