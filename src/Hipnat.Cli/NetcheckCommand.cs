using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Hipnat.Core.Transport;
using Hipnat.Nat.Stun;
using Hipnat.Nat.Turn;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Transports;

namespace Hipnat.Cli;

/// <summary>
/// <c>hipnat netcheck</c>: what the network in front of this host does, per address family — reflexive addresses and
/// RTT (min/median of several samples) from each STUN server (RFC 8489), whether the NAT's mapping depends on the
/// destination (RFC 4787 §4.1, by comparing what servers see of one local socket), whether there is a NAT at all,
/// hairpinning (§6), UDP blocked when nothing answers, and a TURN allocation (RFC 8656) when a server is given.
/// Servers come from <c>--stun</c> and from the config file's <c>stunServers</c>, <c>relays</c> (a hipnat relay
/// answers STUN on its HIP port) and <c>turnServers</c>.
/// </summary>
internal static class NetcheckCommand
{
    public const int MaxSamples = 20;

    public const double MaxTimeoutSeconds = 60;

    public static Command Create()
    {
        var stun = new Option<string[]>("--stun") { Description = "STUN server ADDR[:PORT] or NAME[:PORT] (port 3478 by default; repeatable; a hipnat relay answers STUN on its HIP port). Two servers, or two ports of one, tell whether the mapping depends on the destination.", AllowMultipleArgumentsPerToken = false, HelpName = "ADDR:PORT" };
        var config = new Option<string?>("--config", "-c") { Description = "Also ask the servers of this config file: stunServers, relays (their HIP port) and the first of turnServers", HelpName = "FILE" };
        var turn = new Option<string?>("--turn") { Description = "TURN server ADDR:PORT to allocate a relayed address from", HelpName = "ADDR:PORT" };
        var user = new Option<string?>("--turn-user") { Description = "TURN long-term credential user name", HelpName = "U" };
        var password = new Option<string?>("--turn-password") { Description = "TURN long-term credential password", HelpName = "P" };
        var local = new Option<string?>("--local") { Description = "Local ADDR[:PORT] to send from (default: any address of its family, an ephemeral port)", HelpName = "ADDR:PORT" };
        var samples = new Option<int>("--samples", "-n") { Description = $"Timed Binding requests per answering server, after the first that finds the reflexive address (1-{MaxSamples})", DefaultValueFactory = _ => 3, HelpName = "N" };
        var timeout = new Option<double>("--timeout") { Description = $"Seconds to wait for the servers in each round (above 0, at most {MaxTimeoutSeconds.ToString(CultureInfo.InvariantCulture)})", DefaultValueFactory = _ => 3, HelpName = "S" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var command = new Command("netcheck", "Report this host's reflexive addresses, NAT mapping behaviour, hairpinning and server RTTs, for IPv4 and IPv6")
        {
            stun, config, turn, user, password, local, samples, timeout, json,
        };
        command.SetAction(parse =>
        {
            var request = BuildRequest(
                parse.GetValue(stun) ?? [], parse.GetValue(config), parse.GetValue(turn), parse.GetValue(user), parse.GetValue(password),
                parse.GetValue(local), parse.GetValue(samples), parse.GetValue(timeout));
            var report = Run(request);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(report, NetcheckJson.Options));
            }
            else
            {
                Print(report, output);
            }

            return report.Udp || report.Turn?.Relayed is not null ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>A server to ask and where it came from (<c>--stun</c>, <c>stunServers</c>, <c>relays</c>).</summary>
    internal sealed record Server(IPEndPoint EndPoint, string Source);

    internal sealed record TurnTarget(IPEndPoint EndPoint, string User, string Password);

    internal sealed record Request(IReadOnlyList<Server> Servers, TurnTarget? Turn, IPEndPoint? Local, int Samples, TimeSpan Timeout);

    /// <summary>Checks and resolves the arguments. Throws <see cref="ConfigException"/> (exit 2) naming the flag.</summary>
    internal static Request BuildRequest(
        IReadOnlyList<string> stun, string? configPath, string? turn, string? user, string? password, string? local, int samples, double timeoutSeconds)
    {
        if (samples is < 1 or > MaxSamples)
        {
            throw new ConfigException($"--samples {samples.ToString(CultureInfo.InvariantCulture)}: give 1 to {MaxSamples} Binding requests per server");
        }

        if (!double.IsFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > MaxTimeoutSeconds)
        {
            throw new ConfigException($"--timeout {timeoutSeconds.ToString(CultureInfo.InvariantCulture)}: give seconds above 0 and at most {MaxTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}, e.g. --timeout 3");
        }

        var servers = new List<Server>();
        void AddServer(IPEndPoint endPoint, string source)
        {
            if (!servers.Any(s => s.EndPoint.Equals(endPoint)))
            {
                servers.Add(new Server(endPoint, source));
            }
        }

        foreach (var text in stun)
        {
            foreach (var endPoint in ResolveServer("--stun", text))
            {
                AddServer(endPoint, "--stun");
            }
        }

        TurnTarget? turnTarget = null;
        if (configPath is not null)
        {
            var settings = DaemonConfigFile.Load(configPath);
            foreach (var s in settings.StunServers)
            {
                AddServer(new IPEndPoint(s.Address, s.Port), "stunServers");
            }

            foreach (var r in settings.Relays.Where(r => r.Address.Kind == TransportKind.Udp))
            {
                AddServer(new IPEndPoint(r.Address.Address, r.Address.Port), "relays");
            }

            if (turn is null && settings.TurnServers.FirstOrDefault() is { } t)
            {
                turnTarget = new TurnTarget(new IPEndPoint(t.Address.Address, t.Address.Port), t.Username, t.Password);
            }
        }

        if (turn is not null)
        {
            if (user is null || password is null)
            {
                throw new ConfigException("--turn needs --turn-user and --turn-password (TURN long-term credentials)");
            }

            var endPoints = ResolveServer("--turn", turn);
            turnTarget = new TurnTarget(endPoints.FirstOrDefault(e => e.AddressFamily == AddressFamily.InterNetwork) ?? endPoints[0], user, password);
        }
        else if (user is not null || password is not null)
        {
            throw new ConfigException($"{(user is not null ? "--turn-user" : "--turn-password")} needs --turn ADDR:PORT (the TURN server to allocate from)");
        }

        if (servers.Count == 0 && turnTarget is null)
        {
            throw new ConfigException(
                configPath is null
                    ? "no server to ask: give --stun ADDR:PORT (a STUN server, or a hipnat relay's HIP port, e.g. 203.0.113.1:10500) or --config FILE with stunServers or relays"
                    : $"no server to ask: config '{configPath}' has no stunServers, relays or turnServers; add some or give --stun ADDR:PORT");
        }

        IPEndPoint? localEndPoint = null;
        if (local is not null)
        {
            localEndPoint = ParseLocal(local);
        }

        return new Request(servers, turnTarget, localEndPoint, samples, TimeSpan.FromSeconds(timeoutSeconds));
    }

    /// <summary>ADDR:PORT, [V6]:PORT, ADDR (port 3478) or NAME[:PORT], resolved to every address of the name.</summary>
    internal static IReadOnlyList<IPEndPoint> ResolveServer(string option, string text)
    {
        if (SettingParsers.TryParseUdpAddress(text, out var address, out var error, SettingParsers.StunPort))
        {
            return [new IPEndPoint(address.Address, address.Port)];
        }

        var (host, port) = SplitHostPort(text);
        if (host.Length == 0 || port is null || !IsHostName(host))
        {
            throw new ConfigException($"{option} '{text}': {error}");
        }

        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new ConfigException($"{option} '{text}': cannot resolve '{host}' ({e.SocketErrorCode}); check the name or give an address");
        }

        var usable = addresses.Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Distinct().ToList();
        if (usable.Count == 0)
        {
            throw new ConfigException($"{option} '{text}': '{host}' has no IPv4 or IPv6 address");
        }

        return usable.Select(a => new IPEndPoint(a, port.Value)).ToList();
    }

    private static (string Host, int? Port) SplitHostPort(string text)
    {
        text = text.Trim();
        int colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            return (text, SettingParsers.StunPort);
        }

        if (text.IndexOf(':', StringComparison.Ordinal) != colon)
        {
            return (string.Empty, null);
        }

        return ushort.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p != 0
            ? (text[..colon], p)
            : (text[..colon], null);
    }

    private static bool IsHostName(string host) =>
        host.Length <= 253 && host.Any(char.IsLetter) && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    private static IPEndPoint ParseLocal(string text)
    {
        string trimmed = text.Trim();
        bool hasPort = trimmed.StartsWith('[') ? trimmed.Contains("]:", StringComparison.Ordinal) : trimmed.Count(c => c == ':') == 1;
        if (!TransportAddress.TryParse(trimmed, out var a, out var error) || a.Kind != TransportKind.Udp)
        {
            throw new ConfigException($"--local '{text}': {error ?? "expected ADDR or ADDR:PORT"}; e.g. --local 192.0.2.10 or --local 192.0.2.10:40000");
        }

        return new IPEndPoint(a.Address, hasPort ? a.Port : 0);
    }

    internal sealed record StunLine(
        string Server, string Family, string Source, string? Reflexive, double? RttMs, double? RttMinMs, double? RttMedianMs,
        IReadOnlyList<double> RttSamplesMs, int Sent, int Answered, string Outcome);

    internal sealed record FamilyReport(
        string Family, string Local, bool Udp, string? UdpProblem, IReadOnlyList<string> Public, bool? Nat, string Mapping,
        string MappingDetail, bool? MappingVariesByAddress, bool? MappingVariesByPort, bool? Hairpinning, string? HairpinningNote);

    internal sealed record TurnLine(string Server, string? Relayed, string? Mapped, double? LifetimeSeconds, string Outcome);

    /// <summary>
    /// The netcheck report (also the <c>--json</c> object). <see cref="Local"/>, <see cref="Mapping"/> and
    /// <see cref="Hairpinning"/> repeat IPv4's verdict (IPv6's when only IPv6 was tested).
    /// </summary>
    internal sealed record Report(
        bool Udp, string? Local, string Mapping, bool? Hairpinning, FamilyReport? Ipv4, FamilyReport? Ipv6,
        IReadOnlyList<StunLine> Stun, TurnLine? Turn);

    internal static Report Run(Request request)
    {
        var options = new StunNetcheckOptions
        {
            Samples = request.Samples,
            Timeout = request.Timeout,
            HairpinTimeout = TimeSpan.FromMilliseconds(Math.Min(1000, request.Timeout.TotalMilliseconds)),
        };
        var localAddresses = StunNetcheck.LocalAddresses();
        var clients = new Dictionary<AddressFamily, StunUdpClient>();
        try
        {
            var families = new Dictionary<AddressFamily, FamilyReport>();
            var lines = new List<StunLine>();
            foreach (var family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
            {
                var servers = request.Servers.Where(s => s.EndPoint.AddressFamily == family).ToList();
                if (servers.Count == 0)
                {
                    continue;
                }

                var client = Open(clients, family, request.Local);
                if (client is null)
                {
                    families[family] = Unavailable(family, servers, lines);
                    continue;
                }

                var result = StunNetcheck.Run(client, servers.Select(s => s.EndPoint), options, localAddresses);
                lines.AddRange(result.Servers.Select(p => Line(p, servers.First(s => s.EndPoint.Equals(p.Server)).Source, family, result.NothingSent ? $"not sent ({result.LastSendError})" : null)));
                families[family] = Summarize(family, result, request.Timeout);
            }

            TurnLine? turnLine = null;
            if (request.Turn is { } turn)
            {
                var client = Open(clients, turn.EndPoint.AddressFamily, request.Local);
                turnLine = client is null
                    ? new TurnLine(turn.EndPoint.ToString(), null, null, null, $"no {FamilyName(turn.EndPoint.AddressFamily)} socket on this host")
                    : Allocate(client, turn, request.Timeout);
            }

            families.TryGetValue(AddressFamily.InterNetwork, out var v4);
            families.TryGetValue(AddressFamily.InterNetworkV6, out var v6);
            var main = v4 ?? v6;
            return new Report(
                families.Values.Any(f => f.Udp), main?.Local, main?.Mapping ?? "unknown", main?.Hairpinning, v4, v6, lines, turnLine);
        }
        finally
        {
            foreach (var c in clients.Values)
            {
                c.Dispose();
            }
        }
    }

    /// <summary>The socket for <paramref name="family"/>: on <c>--local</c> when it is of that family, else the wildcard; null when the host has no such family.</summary>
    private static StunUdpClient? Open(Dictionary<AddressFamily, StunUdpClient> clients, AddressFamily family, IPEndPoint? local)
    {
        if (clients.TryGetValue(family, out var existing))
        {
            return existing;
        }

        var bind = local is not null && local.AddressFamily == family
            ? local
            : new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        try
        {
            var client = new StunUdpClient(bind);
            clients[family] = client;
            return client;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.ProtocolNotSupported && bind.Port == 0 && (local is null || local.AddressFamily != family))
        {
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            throw new ConfigException($"--local {bind}: not an address of this host; give one of its addresses (ip address) or leave --local out");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new TransportException($"--local {bind}: port {bind.Port} is in use; give another port or leave the port out");
        }
        catch (SocketException e)
        {
            throw new TransportException($"cannot open a UDP socket on {bind}: {e.Message}");
        }
    }

    private static FamilyReport Unavailable(AddressFamily family, List<Server> servers, List<StunLine> lines)
    {
        lines.AddRange(servers.Select(s => new StunLine(s.EndPoint.ToString(), FamilyName(family), s.Source, null, null, null, null, [], 0, 0, "not sent")));
        return new FamilyReport(
            FamilyName(family), "-", false, $"{FamilyName(family)} is not available on this host", [], null, "unknown",
            $"unknown: {FamilyName(family)} is not available on this host", null, null, null, "not tested");
    }

    private static StunLine Line(StunServerProbe p, string source, AddressFamily family, string? failure) => new(
        p.Server.ToString(),
        FamilyName(family),
        source,
        p.Reflexive?.ToString(),
        Ms(p.MedianRtt),
        Ms(p.MinRtt),
        Ms(p.MedianRtt),
        p.Rtts.Select(t => Ms(t)!.Value).ToList(),
        p.Sent,
        p.Answered,
        p.Reflexive is not null
            ? (p.ReflexiveChanged ? "answered (the reflexive address changed between samples)" : "answered")
            : failure ?? OutcomeText(p));

    private static double? Ms(TimeSpan? t) => t is { } v ? Math.Round(v.TotalMilliseconds, 3) : null;

    private static string OutcomeText(StunServerProbe p) => p.Outcome switch
    {
        StunBindingOutcome.Timeout => "no answer",
        StunBindingOutcome.ErrorResponse => $"error response{(p.Error is { } e ? $" {e}" : string.Empty)}",
        StunBindingOutcome.MissingMappedAddress => "answer without XOR-MAPPED-ADDRESS",
        StunBindingOutcome.UnknownComprehensionRequired => "answer with unknown comprehension-required attributes",
        StunBindingOutcome.IntegrityViolation => "answer failed the integrity check",
        StunBindingOutcome.MalformedResponse => "malformed answer",
        _ => p.Outcome.ToString(),
    };

    internal static FamilyReport Summarize(AddressFamily family, StunNetcheckResult r, TimeSpan timeout)
    {
        string name = FamilyName(family);
        var v = r.Mapping;
        string? udpProblem = r.UdpWorks ? null
            : r.NothingSent ? $"no {name} route: the host refused to send ({r.LastSendError})"
            : $"blocked: no server answered within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
        string list = string.Join(", ", v.Reflexive);
        string mapping = v.Behavior switch
        {
            NatMappingBehavior.NoNat => "no-nat",
            NatMappingBehavior.EndpointIndependent => "endpoint-independent",
            NatMappingBehavior.AddressDependent => "address-dependent",
            NatMappingBehavior.AddressAndPortDependent => "address-and-port-dependent",
            NatMappingBehavior.DestinationDependent => "destination-dependent",
            _ => "unknown",
        };
        string detail = v.Behavior switch
        {
            NatMappingBehavior.NoNat => $"none: no NAT, servers see this host's own address {list}",
            NatMappingBehavior.EndpointIndependent => $"endpoint-independent: {v.Destinations} servers see the same {list}"
                + (v.DestinationAddresses < 2 ? " (all on one server address: an address-dependent mapping would look the same)" : string.Empty),
            NatMappingBehavior.AddressDependent => $"address-dependent: the public port changes with the server address, not its port ({list})",
            NatMappingBehavior.AddressAndPortDependent => $"address-and-port-dependent (symmetric NAT): each destination gets its own public port ({list})",
            NatMappingBehavior.DestinationDependent => $"destination-dependent (symmetric NAT): servers see different addresses ({list})",
            _ when !r.UdpWorks => "unknown: no server answered",
            _ => $"unknown: one server answered ({list}); two servers, or two ports of one, tell whether the mapping depends on the destination",
        };
        string? hairpinNote = r.Hairpinning is null
            ? (!r.UdpWorks ? "not tested: no reflexive address" : v.Behavior == NatMappingBehavior.NoNat ? "not applicable: no NAT" : "not tested")
            : null;
        return new FamilyReport(
            name, r.Local.ToString(), r.UdpWorks, udpProblem, v.Reflexive.Select(e => e.ToString()).ToList(), v.BehindNat, mapping, detail,
            v.VariesByAddress, v.VariesByPort, r.Hairpinning, hairpinNote);
    }

    private static TurnLine Allocate(StunUdpClient client, TurnTarget target, TimeSpan wait)
    {
        string server = target.EndPoint.ToString();
        var turn = new TurnClient(new TurnClientOptions { Server = target.EndPoint, Username = target.User, Password = target.Password });
        turn.Allocate(client.Now);
        var events = client.Run(turn, e => e is TurnAllocated or TurnFailed, wait * 2);
        var line = events.LastOrDefault(e => e is TurnAllocated or TurnFailed) switch
        {
            TurnAllocated a => new TurnLine(server, a.RelayedAddress.ToString(), a.MappedAddress.ToString(), a.Lifetime.TotalSeconds, "allocated"),
            TurnFailed f => new TurnLine(server, null, null, null, $"failed: {f.Reason}{(f.Error is { } e ? $" ({e})" : string.Empty)}"),
            _ => new TurnLine(server, null, null, null, "no answer"),
        };
        if (line.Relayed is not null)
        {
            turn.Deallocate(client.Now);
            client.Run(turn, e => e is TurnDeallocated or TurnFailed, TimeSpan.FromSeconds(1));
        }

        return line;
    }

    private static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    internal static void Print(Report r, TextWriter o)
    {
        if (r.Ipv4 is null && r.Ipv6 is null && r.Turn is not null)
        {
            o.WriteLine("stun         none asked");
        }

        foreach (var (name, family) in new[] { ("IPv4", r.Ipv4), ("IPv6", r.Ipv6) })
        {
            if (family is null)
            {
                if (r.Ipv4 is not null || r.Ipv6 is not null)
                {
                    o.WriteLine($"{name}         not tested: no {name} server (--stun, config stunServers or relays)");
                }

                continue;
            }

            PrintFamily(family, r.Stun.Where(s => s.Family == name).ToList(), o);
        }

        if (r.Turn is { } t)
        {
            o.WriteLine(t.Relayed is not null
                ? $"turn         {t.Server}  relayed {t.Relayed}  mapped {t.Mapped}  lifetime {t.LifetimeSeconds?.ToString("F0", CultureInfo.InvariantCulture)} s"
                : $"turn         {t.Server}  {t.Outcome}");
        }
    }

    private static void PrintFamily(FamilyReport f, IReadOnlyList<StunLine> servers, TextWriter o)
    {
        o.WriteLine($"{f.Family}         local {f.Local}");
        var rows = new List<string[]> { new[] { "server", "source", "reflexive", "rtt min/median", "answers" } };
        foreach (var s in servers)
        {
            rows.Add(
            [
                s.Server,
                s.Source,
                s.Reflexive ?? s.Outcome,
                s.RttMinMs is { } min && s.RttMedianMs is { } med
                    ? $"{min.ToString("F2", CultureInfo.InvariantCulture)}/{med.ToString("F2", CultureInfo.InvariantCulture)} ms"
                    : "-",
                $"{s.Answered}/{s.Sent}",
            ]);
        }

        var widths = Enumerable.Range(0, 5).Select(i => rows.Max(row => row[i].Length)).ToArray();
        foreach (var row in rows)
        {
            o.WriteLine("  " + string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }

        o.WriteLine($"  udp          {(f.Udp ? "yes" : f.UdpProblem)}");
        if (f.Public.Count > 0)
        {
            string nat = f.Nat == false ? "no NAT: a local address" : "behind NAT";
            o.WriteLine($"  public       {string.Join(", ", f.Public)} ({nat})");
        }

        o.WriteLine($"  mapping      {f.MappingDetail}");
        o.WriteLine($"  hairpinning  {(f.Hairpinning is bool h ? (h ? "yes" : "no") : f.HairpinningNote)}");
    }
}
