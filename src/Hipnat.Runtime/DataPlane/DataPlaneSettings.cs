using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Hipnat.DataPlane.Tun;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// The ESP data plane's settings: config file object "tun" and the <c>--tun</c> flag of <c>hipnat run</c>.
/// </summary>
public sealed class DataPlaneSettings
{
    /// <summary>Default interface name.</summary>
    public const string DefaultName = "hip0";

    /// <summary>
    /// Default interface MTU: RFC 9028 §5.1 advises constraining virtual interfaces to a safe 1400 octets over 1500-octet
    /// links; it leaves room for an outer IPv6 header, UDP and the largest ESP overhead of every supported suite
    /// (<see cref="TunConfigurator.InnerMtu"/> gives 1426 for AES-CBC/HMAC over IPv6).
    /// </summary>
    public const int DefaultMtu = 1400;

    /// <summary>Smallest MTU: IPv6 (and so the HITs) needs 1280 (RFC 8200 §5).</summary>
    public const int MinimumMtu = 1280;

    /// <summary>Largest MTU: an ESP packet must still fit one UDP datagram.</summary>
    public const int MaximumMtu = 65000;

    /// <summary>Every key of the "tun" object, for the documentation check.</summary>
    internal static readonly string[] Keys = ["enabled", "name", "mtu", "lsiNetwork", "localLsi", "replayWindow", "rekeyAfterPackets", "rekeyAfterBytes", "rekeyAfterSeconds", "offload", "queues"];

    /// <summary>
    /// Open the TUN device with IFF_VNET_HDR and TCP/UDP segmentation and checksum offloads (TUNSETOFFLOAD): the data
    /// plane segments 64 KiB super-segments itself and writes coalesced ones; false: plain packets, one per syscall.
    /// </summary>
    public bool Offload { get; set; } = true;

    /// <summary>Most TUN queues: a multi-queue device (IFF_MULTI_QUEUE) read by one thread per queue.</summary>
    public const int MaximumQueues = 16;

    /// <summary>
    /// Queues of the TUN device, each read by its own thread that seals what the kernel steers to it (one flow stays
    /// on one queue). 1: a single-queue device.
    /// </summary>
    public int Queues { get; set; } = 1;

    /// <summary>Anti-replay window of every inbound SA (RFC 6479; RFC 4303 §3.4.3).</summary>
    public int ReplayWindow { get; set; } = Hipnat.DataPlane.Esp.ReplayWindow.DefaultSize;

    /// <summary>Rekey an SA after this many packets, octets or seconds (null: only before its sequence number would cycle).</summary>
    public ulong? RekeyAfterPackets { get; set; }

    public ulong? RekeyAfterBytes { get; set; }

    public TimeSpan? RekeyAfter { get; set; }

    /// <summary>True/false from the config or flag; null = on when the process runs as root (CAP_NET_ADMIN), else off.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Interface name (at most 15 characters).</summary>
    public string Name { get; set; } = DefaultName;

    /// <summary>True when <see cref="Name"/> was given explicitly (then a busy name is an error, not a warning).</summary>
    public bool NameExplicit { get; set; }

    /// <summary>Interface MTU.</summary>
    public int Mtu { get; set; } = DefaultMtu;

    /// <summary>IPv4 network the LSIs come from (RFC 5338); default <see cref="TunConfigurator.DefaultLsiNetwork"/>.</summary>
    public IPNetwork LsiNetwork { get; set; } = TunConfigurator.DefaultLsiNetwork;

    /// <summary>True when <see cref="LsiNetwork"/> was configured (then it is used even if it overlaps a local network).</summary>
    public bool LsiNetworkExplicit { get; set; }

    /// <summary>This host's LSI; null = the first host address of <see cref="LsiNetwork"/>.</summary>
    public IPAddress? LocalLsi { get; set; }

    /// <summary>Whether the data plane runs: explicit setting, else root.</summary>
    public bool IsEnabled => Enabled ?? Environment.IsPrivilegedProcess;

    /// <summary>True when the user asked for the data plane (so failing to create it is an error).</summary>
    public bool IsRequired => Enabled == true;

    /// <summary>
    /// Applies <c>--tun VALUE</c>: <c>on</c>, <c>off</c>, or an interface name (which turns it on). Throws
    /// <see cref="ConfigException"/>.
    /// </summary>
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

        if (!TryValidateName(value, out var error))
        {
            throw new ConfigException($"--tun '{value}': {error}");
        }

        Enabled = true;
        Name = value;
        NameExplicit = true;
    }

    /// <summary>Reads the config file's "tun" object.</summary>
    internal static DataPlaneSettings Read(JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(source, "tun", value, "expected an object", "write e.g. { \"enabled\": true, \"name\": \"hip0\" }");
        }

        var s = new DataPlaneSettings();
        foreach (var p in value.EnumerateObject())
        {
            string key = "tun." + p.Name;
            var v = p.Value;
            switch (p.Name)
            {
                case "enabled":
                    s.Enabled = v.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw Fail(source, key, v, "expected true or false", "write true or false without quotes"),
                    };
                    break;
                case "name":
                    if (v.ValueKind != JsonValueKind.String)
                    {
                        throw Fail(source, key, v, "expected a string", "write an interface name such as \"hip0\"");
                    }

                    if (!TryValidateName(v.GetString()!, out var nameError))
                    {
                        throw Fail(source, key, v, nameError, "write an interface name such as \"hip0\"");
                    }

                    s.Name = v.GetString()!;
                    s.NameExplicit = true;
                    break;
                case "mtu":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int mtu))
                    {
                        throw Fail(source, key, v, "expected a whole number", $"write {MinimumMtu}-{MaximumMtu} (default {DefaultMtu})");
                    }

                    if (mtu is < MinimumMtu or > MaximumMtu)
                    {
                        throw Fail(source, key, v, $"out of range {MinimumMtu}-{MaximumMtu} (IPv6 needs at least 1280)", $"write {MinimumMtu}-{MaximumMtu} (default {DefaultMtu})");
                    }

                    s.Mtu = mtu;
                    break;
                case "lsiNetwork":
                    if (v.ValueKind != JsonValueKind.String)
                    {
                        throw Fail(source, key, v, "expected a string", "write an IPv4 prefix such as \"198.18.0.0/16\" (prefix length 8-30)");
                    }

                    if (!TryParseLsiNetwork(v.GetString(), out var network, out var netError))
                    {
                        throw Fail(source, key, v, netError ?? "not an IPv4 prefix", "write an IPv4 prefix such as \"198.18.0.0/16\" (prefix length 8-30)");
                    }

                    s.LsiNetwork = network;
                    s.LsiNetworkExplicit = true;
                    break;
                case "localLsi":
                    if (v.ValueKind != JsonValueKind.String || !IPAddress.TryParse(v.GetString(), out var lsi) || lsi.AddressFamily != AddressFamily.InterNetwork)
                    {
                        throw Fail(source, key, v, "not an IPv4 address", "write an address inside tun.lsiNetwork, e.g. \"198.18.0.1\"");
                    }

                    s.LocalLsi = lsi;
                    break;
                case "replayWindow":
                    s.ReplayWindow = (int)Whole(source, key, v, Hipnat.DataPlane.Esp.ReplayWindow.MinimumSize, Hipnat.DataPlane.Esp.ReplayWindow.MaximumSize,
                        $"write {Hipnat.DataPlane.Esp.ReplayWindow.MinimumSize}-{Hipnat.DataPlane.Esp.ReplayWindow.MaximumSize} packets (default {Hipnat.DataPlane.Esp.ReplayWindow.DefaultSize})");
                    break;
                case "rekeyAfterPackets":
                    s.RekeyAfterPackets = (ulong)Whole(source, key, v, 1000, long.MaxValue, "write a packet count of at least 1000, or remove the key");
                    break;
                case "rekeyAfterBytes":
                    s.RekeyAfterBytes = (ulong)Whole(source, key, v, 1_000_000, long.MaxValue, "write an octet count of at least 1000000, or remove the key");
                    break;
                case "offload":
                    s.Offload = v.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw Fail(source, key, v, "expected true or false", "write true or false without quotes"),
                    };
                    break;
                case "queues":
                    s.Queues = (int)Whole(source, key, v, 1, MaximumQueues, $"write 1-{MaximumQueues} (default 1; at most the number of cores helps)");
                    break;
                case "rekeyAfterSeconds":
                    s.RekeyAfter = TimeSpan.FromSeconds(Whole(source, key, v, 10, 31_536_000, "write 10-31536000 seconds, or remove the key"));
                    break;
                default:
                    throw new ConfigException(
                        $"config {source}: unknown key \"{key}\"; valid keys in tun: {string.Join(", ", Keys)} (see docs/config.md)");
            }
        }

        if (s.LocalLsi is { } local && !s.LsiNetwork.Contains(local))
        {
            throw new ConfigException(
                $"config {source}: key tun.localLsi = \"{local}\" is not inside tun.lsiNetwork {s.LsiNetwork}; choose an address of that network or drop the key");
        }

        return s;
    }

    /// <summary>Parses an IPv4 LSI network such as 198.18.0.0/16 (prefix 8-30, host bits zero).</summary>
    public static bool TryParseLsiNetwork(string? text, out IPNetwork network, out string? error)
    {
        network = default;
        error = null;
        if (!IPNetwork.TryParse(text, out network))
        {
            error = $"'{text}' is not an IPv4 prefix";
            return false;
        }

        if (network.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
        {
            error = $"'{text}' is not IPv4 (LSIs are IPv4 addresses, RFC 5338)";
            return false;
        }

        if (network.PrefixLength is < 8 or > 30)
        {
            error = $"prefix length /{network.PrefixLength.ToString(CultureInfo.InvariantCulture)} is out of range 8-30";
            return false;
        }

        return true;
    }

    private static bool TryValidateName(string name, out string error)
    {
        error = string.Empty;
        if (name.Length is 0 or > 15)
        {
            error = "an interface name has 1-15 characters";
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                error = "use letters, digits, '-', '_' or '.' only";
                return false;
            }
        }

        return true;
    }

    private static long Whole(string source, string key, JsonElement v, long min, long max, string fix)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n))
        {
            throw Fail(source, key, v, "expected a whole number", fix);
        }

        if (n < min || n > max)
        {
            throw Fail(source, key, v, $"out of range {min}-{max}", fix);
        }

        return n;
    }

    private static ConfigException Fail(string source, string key, JsonElement value, string problem, string fix)
    {
        var raw = value.GetRawText();
        if (raw.Length > 80)
        {
            raw = raw[..77] + "...";
        }

        return new ConfigException($"config {source}: key {key} = {raw}: {problem}; {fix}");
    }
}
