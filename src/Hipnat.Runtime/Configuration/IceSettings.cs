using System.Text.Json;
using Hipnat.Core.Ice;
using Hipnat.Wire.Parameters;

namespace Hipnat.Runtime.Configuration;

/// <summary>
/// ICE policy of <c>hipnat run</c> (config "ice", <c>--ice-*</c> flags): which candidate types to gather, which
/// interfaces give host candidates and in which order, check pacing, nomination wait and relay fallback
/// (RFC 9028 §4.2-4.6, RFC 8445 §5.1, §8). Null values keep the core's defaults.
/// </summary>
public sealed class IceSettings
{
    /// <summary>The keys of the config file's "ice" object.</summary>
    internal static readonly string[] Keys = ["candidates", "interfaces", "ignoreInterfaces", "pacingMs", "relayFallbackMs", "nominationWaitMs", "aggressive", "directRetryMs"];

    /// <summary>RFC 9028 §4.4 / RFC 8445 §14.2: Ta is never below 5 ms.</summary>
    public const int MinPacingMs = 5;

    public const int MaxPacingMs = 10000;

    public const string CandidateNames = "\"host\", \"srflx\", \"relay\"";

    /// <summary>Candidate types to gather and offer; null = all (host, srflx, relay).</summary>
    public IReadOnlyList<CandidateKind>? Candidates { get; set; }

    /// <summary>Interfaces whose addresses become host candidates, in preference order; empty = every interface,
    /// in the system's order.</summary>
    public List<string> Interfaces { get; } = [];

    /// <summary>Interfaces never used for host candidates (e.g. a VPN or container bridge).</summary>
    public List<string> IgnoreInterfaces { get; } = [];

    /// <summary>Ta between connectivity checks offered in TRANSACTION_PACING (same as protocol.transactionPacingMs).</summary>
    public TimeSpan? Pacing { get; set; }

    public TimeSpan? RelayFallback { get; set; }

    /// <summary>First interval before failed direct pairs are checked again while a relayed pair carries the
    /// traffic (doubling after each try); zero turns retries off (config ice.directRetryMs).</summary>
    public TimeSpan? DirectRetry { get; set; }

    public TimeSpan? NominationWait { get; set; }

    public bool? Aggressive { get; set; }

    /// <summary>The core's ICE options with these settings applied.</summary>
    public IceOptions ToOptions()
    {
        var d = new IceOptions();
        var kinds = Candidates;
        return new IceOptions
        {
            GatherHost = kinds?.Contains(CandidateKind.Host) ?? d.GatherHost,
            GatherServerReflexive = kinds?.Contains(CandidateKind.ServerReflexive) ?? d.GatherServerReflexive,
            GatherRelayed = kinds?.Contains(CandidateKind.Relayed) ?? d.GatherRelayed,
            MaxPairs = d.MaxPairs,
            MaxRemoteCandidates = d.MaxRemoteCandidates,
            MaxCheckAttempts = d.MaxCheckAttempts,
            NominationWait = NominationWait ?? d.NominationWait,
            RelayFallbackDelay = RelayFallback ?? d.RelayFallbackDelay,
            DirectRetryInitial = DirectRetry ?? d.DirectRetryInitial,
            Aggressive = Aggressive ?? d.Aggressive,
        };
    }

    public bool Gathers(CandidateKind kind) => Candidates is null || Candidates.Contains(kind);

    /// <summary>"host", "srflx", "relay" (also "server-reflexive", "relayed") → the candidate type.</summary>
    public static bool TryParseCandidate(string? text, out CandidateKind kind)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "host":
                kind = CandidateKind.Host;
                return true;
            case "srflx" or "server-reflexive":
                kind = CandidateKind.ServerReflexive;
                return true;
            case "relay" or "relayed":
                kind = CandidateKind.Relayed;
                return true;
            default:
                kind = default;
                return false;
        }
    }

    /// <summary>Parses a comma-separated candidate list (flag form); the error names what is wrong.</summary>
    public static bool TryParseCandidates(string text, out List<CandidateKind> kinds, out string error)
    {
        kinds = [];
        error = string.Empty;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TryParseCandidate(part, out var k))
            {
                error = $"unknown candidate type '{part}'; use host, srflx and/or relay, e.g. host,srflx";
                return false;
            }

            if (!kinds.Contains(k))
            {
                kinds.Add(k);
            }
        }

        if (kinds.Count == 0)
        {
            error = "no candidate type; use host, srflx and/or relay, e.g. host,srflx";
            return false;
        }

        return true;
    }

    /// <summary>"ice-hip-udp", "ice-stun-udp", "udp-encapsulation" → the NAT_TRAVERSAL_MODE.</summary>
    public static bool TryParseMode(string? text, out NatTraversalMode mode)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "ice-hip-udp":
                mode = NatTraversalMode.IceHipUdp;
                return true;
            case "ice-stun-udp":
                mode = NatTraversalMode.IceStunUdp;
                return true;
            case "udp-encapsulation" or "udp":
                mode = NatTraversalMode.UdpEncapsulation;
                return true;
            default:
                mode = default;
                return false;
        }
    }

    public const string ModeNames = "\"ice-hip-udp\", \"ice-stun-udp\", \"udp-encapsulation\"";

    /// <summary>Parses a comma-separated mode list in preference order (flag form).</summary>
    public static bool TryParseModes(string text, out List<NatTraversalMode> modes, out string error)
    {
        modes = [];
        error = string.Empty;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TryParseMode(part, out var m))
            {
                error = $"unknown NAT traversal mode '{part}'; use ice-hip-udp, ice-stun-udp and/or udp-encapsulation in preference order";
                return false;
            }

            if (!modes.Contains(m))
            {
                modes.Add(m);
            }
        }

        if (modes.Count == 0)
        {
            error = "no mode; use ice-hip-udp, ice-stun-udp and/or udp-encapsulation in preference order";
            return false;
        }

        return true;
    }

    public static string ModeName(NatTraversalMode mode) => mode switch
    {
        NatTraversalMode.IceHipUdp => "ice-hip-udp",
        NatTraversalMode.IceStunUdp => "ice-stun-udp",
        NatTraversalMode.UdpEncapsulation => "udp-encapsulation",
        _ => ((ushort)mode).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A Linux interface name: 1-15 characters, no '/', whitespace or ':'.</summary>
    public static bool IsInterfaceName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 15 && name is not ("." or "..") && !name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c));

    /// <summary>Reads the config file's "ice" object; errors name the key.</summary>
    internal static IceSettings Read(JsonElement value, string source)
    {
        ConfigException Fail(string key, JsonElement v, string problem, string fix) => ConfigException.ForKey(source, key, v, problem, fix);

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail("ice", value, "expected an object", "write e.g. { \"candidates\": [\"host\", \"srflx\"], \"pacingMs\": 50 }");
        }

        var s = new IceSettings();
        foreach (var p in value.EnumerateObject())
        {
            string key = "ice." + p.Name;
            var v = p.Value;
            switch (p.Name)
            {
                case "candidates":
                    {
                        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
                        {
                            throw Fail(key, v, "expected a non-empty array of candidate types", $"use values from {CandidateNames}");
                        }

                        var kinds = new List<CandidateKind>();
                        int i = 0;
                        foreach (var item in v.EnumerateArray())
                        {
                            string itemKey = $"{key}[{i++}]";
                            if (item.ValueKind != JsonValueKind.String || !TryParseCandidate(item.GetString(), out var k))
                            {
                                throw Fail(itemKey, item, "unknown candidate type", $"use one of {CandidateNames}");
                            }

                            if (!kinds.Contains(k))
                            {
                                kinds.Add(k);
                            }
                        }

                        s.Candidates = kinds;
                        break;
                    }

                case "interfaces":
                case "ignoreInterfaces":
                    {
                        if (v.ValueKind != JsonValueKind.Array)
                        {
                            throw Fail(key, v, "expected an array of interface names", "write e.g. [\"eth0\", \"wlan0\"]");
                        }

                        var list = p.Name == "interfaces" ? s.Interfaces : s.IgnoreInterfaces;
                        int i = 0;
                        foreach (var item in v.EnumerateArray())
                        {
                            string itemKey = $"{key}[{i++}]";
                            if (item.ValueKind != JsonValueKind.String || !IsInterfaceName(item.GetString()))
                            {
                                throw Fail(itemKey, item, "not an interface name", "write a name as `ip link` shows it, 1-15 characters, e.g. \"eth0\"");
                            }

                            if (!list.Contains(item.GetString()!))
                            {
                                list.Add(item.GetString()!);
                            }
                        }

                        break;
                    }

                case "pacingMs":
                    s.Pacing = TimeSpan.FromMilliseconds(Milliseconds(v, key, MinPacingMs, MaxPacingMs,
                        "milliseconds between connectivity checks, 5-10000 (default 50); RFC 9028 §4.4 forbids less than 5 ms"));
                    break;
                case "directRetryMs":
                    s.DirectRetry = TimeSpan.FromMilliseconds(Milliseconds(v, key, 0, 3600000, "milliseconds, 0 (off) or up to 3600000 (default 35000)"));
                    break;
                case "relayFallbackMs":
                    s.RelayFallback = TimeSpan.FromMilliseconds(Milliseconds(v, key, 0, 600000, "milliseconds, 0-600000 (default 2000)"));
                    break;
                case "nominationWaitMs":
                    s.NominationWait = TimeSpan.FromMilliseconds(Milliseconds(v, key, 0, 60000, "milliseconds, 0-60000 (default 150)"));
                    break;
                case "aggressive":
                    s.Aggressive = v.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw Fail(key, v, "expected true or false", "write true or false without quotes"),
                    };
                    break;
                default:
                    throw new ConfigException($"config {source}: unknown key \"ice.{p.Name}\"; valid keys in ice: {string.Join(", ", Keys)} (see docs/config.md)");
            }
        }

        foreach (var name in s.Interfaces)
        {
            if (s.IgnoreInterfaces.Contains(name))
            {
                throw new ConfigException($"config {source}: key ice.ignoreInterfaces lists \"{name}\", which ice.interfaces asks for; list it in one of them only");
            }
        }

        return s;

        long Milliseconds(JsonElement v, string key, long min, long max, string expected)
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n))
            {
                throw Fail(key, v, "expected a whole number of milliseconds", "write " + expected);
            }

            if (n < min || n > max)
            {
                throw Fail(key, v, $"out of range {min}-{max}", "write " + expected);
            }

            return n;
        }
    }
}
