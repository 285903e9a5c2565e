using System.Net;
using System.Text.Json;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Runtime.Names;

/// <summary>
/// The local DNS responder (config "dnsResponder", <c>--dns-responder</c>): where it listens, and the DNS servers it
/// forwards every query to that it does not answer itself.
/// </summary>
public sealed class DnsResponderSettings
{
    /// <summary>The keys of the config file's "dnsResponder" object.</summary>
    internal static readonly string[] Keys = ["enabled", "listen", "upstream", "timeoutMs"];

    /// <summary>
    /// The default listen address, 127.0.0.55 port 53: a loopback address of its own, beside systemd-resolved's
    /// stub (127.0.0.53) and proxy (127.0.0.54) and Debian's 127.0.1.1. (55 is also the HIP RR type.)
    /// </summary>
    public static readonly IPEndPoint DefaultListen = new(IPAddress.Parse("127.0.0.55"), DnsSettings.DnsPort);

    /// <summary>On when the config has a "dnsResponder" object (unless "enabled": false) or --dns-responder is on.</summary>
    public bool Enabled { get; set; }

    /// <summary>Addresses to listen on (UDP and TCP); empty: <see cref="DefaultListen"/>.</summary>
    public List<IPEndPoint> Listen { get; } = [];

    /// <summary>
    /// Where other queries go; empty: config "dns.servers", else the name servers of /etc/resolv.conf as the daemon
    /// found them at start, less the responder itself.
    /// </summary>
    public List<IPEndPoint> Upstream { get; } = [];

    /// <summary>How long each upstream server gets to answer a forwarded query (default 2 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The addresses listened on.</summary>
    public IReadOnlyList<IPEndPoint> EffectiveListen => Listen.Count > 0 ? Listen : [DefaultListen];

    /// <summary>Parses a listen address "ADDR", "ADDR:PORT" or "[IPv6]:PORT" (port 53 by default); wildcards are refused.</summary>
    public static bool TryParseListen(string? text, out IPEndPoint? endpoint, out string? error)
    {
        if (!DnsSettings.TryParseServer(text, out endpoint, out error))
        {
            if (error is not null && error.Contains("wildcard", StringComparison.Ordinal))
            {
                error = $"'{text?.Trim()}' is a wildcard address: a DNS responder on every interface answers the whole network (an open resolver); give an address such as 127.0.0.55";
            }

            return false;
        }

        return true;
    }

    /// <summary>--dns-responder on|off|ADDR[:PORT].</summary>
    public void ApplyFlag(string? value)
    {
        if (value is null)
        {
            return;
        }

        if (SettingParsers.TryParseSwitch(value, out bool on))
        {
            Enabled = on;
            return;
        }

        if (!TryParseListen(value, out var endpoint, out var error))
        {
            throw new ConfigException($"--dns-responder '{value}': {error}; or give on or off");
        }

        Enabled = true;
        Listen.Clear();
        Listen.Add(endpoint!);
    }

    /// <summary>
    /// The servers to forward to: "upstream", else "dns.servers", else those of <paramref name="resolvConf"/> — never
    /// the responder's own addresses (a query would go round in a loop). Throws <see cref="ConfigException"/> when
    /// none is left.
    /// </summary>
    public IReadOnlyList<IPEndPoint> ChooseUpstream(DnsSettings dns, IReadOnlyList<IPEndPoint> resolvConf, out string source)
    {
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentNullException.ThrowIfNull(resolvConf);
        var self = EffectiveListen;
        if (Upstream.Count > 0)
        {
            if (Upstream.FirstOrDefault(self.Contains) is { } loop)
            {
                throw new ConfigException(
                    $"config dnsResponder.upstream lists {loop}, where the responder itself listens: queries would go round in a loop; give the DNS servers the host used before (e.g. those of your router or ISP)");
            }

            source = "dnsResponder.upstream";
            return Upstream;
        }

        if (dns.Servers.Count > 0)
        {
            var servers = dns.Servers.Where(s => !self.Contains(s)).ToList();
            if (servers.Count == 0)
            {
                throw new ConfigException(
                    $"config dns.servers lists only {string.Join(", ", dns.Servers)}, where the DNS responder itself listens; set dnsResponder.upstream (or dns.servers) to the DNS servers the host used before");
            }

            source = "dns.servers";
            return servers;
        }

        var fromFile = resolvConf.Where(s => !self.Contains(s)).ToList();
        if (fromFile.Count == 0)
        {
            string what = resolvConf.Count == 0 ? "names no DNS server" : $"names only {string.Join(", ", resolvConf.Select(s => s.Address))}, this DNS responder";
            throw new ConfigException(
                $"the DNS responder has nowhere to forward other names: {ResolvConf.SystemPath} {what}; set config dnsResponder.upstream to the DNS servers the host used before, e.g. [\"192.0.2.53\"]");
        }

        source = ResolvConf.SystemPath;
        return fromFile;
    }

    /// <summary>Reads the config file's "dnsResponder" object; errors name the key.</summary>
    internal static DnsResponderSettings Read(JsonElement value, string source)
    {
        ConfigException Fail(string key, JsonElement v, string problem, string fix) => ConfigException.ForKey(source, key, v, problem, fix);

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail("dnsResponder", value, "expected an object", "write e.g. { \"listen\": [\"127.0.0.55\"], \"upstream\": [\"192.0.2.53\"] }");
        }

        var s = new DnsResponderSettings { Enabled = true };
        foreach (var p in value.EnumerateObject())
        {
            string key = "dnsResponder." + p.Name;
            var v = p.Value;
            switch (p.Name)
            {
                case "enabled":
                    if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        throw Fail(key, v, "expected true or false", "write true (the default once the object is there) or false");
                    }

                    s.Enabled = v.GetBoolean();
                    break;
                case "listen":
                    ReadAddresses(v, key, s.Listen, TryParseListen, "write e.g. [\"127.0.0.55\"] or [\"127.0.0.55:5353\", \"[::1]:53\"]", Fail);
                    break;
                case "upstream":
                    ReadAddresses(v, key, s.Upstream, DnsSettings.TryParseServer, "write e.g. [\"192.0.2.53\", \"[2001:db8::53]:53\"]", Fail);
                    break;
                case "timeoutMs":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int ms) || ms < 100 || ms > 30000)
                    {
                        throw Fail(key, v, "expected a whole number of milliseconds, 100-30000", "write e.g. 2000 (the default)");
                    }

                    s.Timeout = TimeSpan.FromMilliseconds(ms);
                    break;
                default:
                    throw new ConfigException($"config {source}: unknown key \"{key}\"; valid keys in dnsResponder: {string.Join(", ", Keys)} (see docs/config.md)");
            }
        }

        return s;
    }

    private delegate bool Parser(string? text, out IPEndPoint? endpoint, out string? error);

    private static void ReadAddresses(JsonElement v, string key, List<IPEndPoint> into, Parser parse, string fix, Func<string, JsonElement, string, string, ConfigException> fail)
    {
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
        {
            throw fail(key, v, "expected a non-empty array of addresses", fix);
        }

        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            string itemKey = $"{key}[{i++}]";
            if (item.ValueKind != JsonValueKind.String)
            {
                throw fail(itemKey, item, "expected a string", fix);
            }

            if (!parse(item.GetString(), out var endpoint, out var error))
            {
                throw fail(itemKey, item, error ?? "not an address", fix);
            }

            if (into.Contains(endpoint!))
            {
                throw fail(itemKey, item, "listed twice", "give each address once");
            }

            into.Add(endpoint!);
        }
    }
}
