using System.CommandLine;
using System.Net;
using System.Text.Json;
using Hipnat.Core.Transport;
using Hipnat.Nat.Stun;
using Hipnat.Nat.Turn;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Cli;

/// <summary>
/// <c>hipnat netcheck</c>: what the network in front of this host does — reflexive addresses from each STUN
/// server (RFC 8489) with RTT, whether the NAT's mapping depends on the destination (RFC 4787 §4.1, by comparing
/// the addresses two servers see), hairpinning (§6), and a TURN allocation (RFC 8656) when a server is given.
/// </summary>
internal static class NetcheckCommand
{
    public static Command Create()
    {
        var stun = new Option<string[]>("--stun") { Description = "STUN server ADDR:PORT (repeatable; a hipnat relay answers STUN on its HIP port). Two or more tell whether the mapping depends on the destination.", AllowMultipleArgumentsPerToken = false };
        var turn = new Option<string?>("--turn") { Description = "TURN server ADDR:PORT to allocate a relayed address from" };
        var user = new Option<string?>("--turn-user") { Description = "TURN long-term credential user name" };
        var password = new Option<string?>("--turn-password") { Description = "TURN long-term credential password" };
        var local = new Option<string?>("--local") { Description = "Local ADDR:PORT to send from (default: any address, an ephemeral port)" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for each server", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var command = new Command("netcheck", "Report this host's reflexive addresses, NAT mapping behaviour, hairpinning and server RTTs")
        {
            stun, turn, user, password, local, timeout, json,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var servers = (parse.GetValue(stun) ?? []).Select(s => Endpoint("--stun", s)).ToArray();
            var turnServer = parse.GetValue(turn) is { } t ? Endpoint("--turn", t) : null;
            if (servers.Length == 0 && turnServer is null)
            {
                throw new ConfigException("give at least one --stun ADDR:PORT (e.g. a hipnat relay, port 10500) or --turn ADDR:PORT");
            }

            if (turnServer is not null && (parse.GetValue(user) is null || parse.GetValue(password) is null))
            {
                throw new ConfigException("--turn needs --turn-user and --turn-password (TURN long-term credentials)");
            }

            var wait = TimeSpan.FromSeconds(parse.GetValue(timeout) is > 0 and var s ? s : 3);
            var localEp = parse.GetValue(local) is { } l ? Endpoint("--local", l) : null;
            var report = Run(servers, turnServer, parse.GetValue(user), parse.GetValue(password), localEp, wait);
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(report, NetcheckJson.Options));
            }
            else
            {
                Print(report, output);
            }

            return report.Stun.Any(r => r.Reflexive is not null) || report.Turn?.Relayed is not null ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static IPEndPoint Endpoint(string option, string text)
    {
        if (!TransportAddress.TryParse(text, out var a, out var error) || a.Kind != TransportKind.Udp)
        {
            throw new ConfigException($"{option} '{text}': {error ?? "expected ADDR:PORT"}");
        }

        return new IPEndPoint(a.Address, a.Port);
    }

    internal sealed record StunLine(string Server, string? Reflexive, double? RttMs, string Outcome);

    internal sealed record TurnLine(string Server, string? Relayed, string? Mapped, double? LifetimeSeconds, string Outcome);

    internal sealed record Report(string Local, IReadOnlyList<StunLine> Stun, string Mapping, bool? Hairpinning, TurnLine? Turn);

    private static Report Run(IPEndPoint[] servers, IPEndPoint? turnServer, string? user, string? password, IPEndPoint? local, TimeSpan wait)
    {
        using var client = new StunUdpClient(local ?? new IPEndPoint(IPAddress.Any, 0));
        var results = servers.Length > 0 ? client.BindAll(servers, wait) : [];
        var lines = results.Select(r => new StunLine(
            r.Server.ToString(),
            r.MappedAddress?.ToString(),
            r.Succeeded ? r.Elapsed.TotalMilliseconds : null,
            r.Outcome.ToString())).ToList();
        var mapping = StunMappingComparison.Classify(results, client.LocalEndPoint);
        string mappingText = mapping switch
        {
            NatMappingBehavior.NoNat => "no NAT (the reflexive address is the local address)",
            NatMappingBehavior.EndpointIndependent => "endpoint-independent (every server sees the same address)",
            NatMappingBehavior.DestinationDependent => "destination-dependent (servers see different addresses: direct paths are unlikely)",
            _ => results.Count(r => r.Succeeded) < 2 ? "unknown (needs two STUN servers that answer)" : "unknown",
        };

        bool? hairpin = null;
        var reflexive = results.FirstOrDefault(r => r.Succeeded)?.MappedAddress;
        if (reflexive is not null)
        {
            // RFC 4787 §6: a second socket behind the same NAT sends to our reflexive address.
            using var probe = new StunUdpClient(new IPEndPoint(client.LocalEndPoint.Address, 0));
            var marker = StunKeepalive.Create();
            probe.SendTo(reflexive, marker);
            hairpin = client.TryReceive(TimeSpan.FromMilliseconds(Math.Min(1000, wait.TotalMilliseconds)), out _, out _);
        }

        TurnLine? turnLine = null;
        if (turnServer is not null)
        {
            var turn = new TurnClient(new TurnClientOptions { Server = turnServer, Username = user!, Password = password! });
            turn.Allocate(client.Now);
            var events = client.Run(turn, e => e is TurnAllocated or TurnFailed, wait * 2);
            turnLine = events.LastOrDefault(e => e is TurnAllocated or TurnFailed) switch
            {
                TurnAllocated a => new TurnLine(turnServer.ToString(), a.RelayedAddress.ToString(), a.MappedAddress.ToString(), a.Lifetime.TotalSeconds, "allocated"),
                TurnFailed f => new TurnLine(turnServer.ToString(), null, null, null, $"failed: {f.Reason}{(f.Error is { } e ? $" ({e})" : "")}"),
                _ => new TurnLine(turnServer.ToString(), null, null, null, "no answer"),
            };
            if (turnLine.Relayed is not null)
            {
                turn.Deallocate(client.Now);
                client.Run(turn, e => e is TurnDeallocated or TurnFailed, TimeSpan.FromSeconds(1));
            }
        }

        return new Report(client.LocalEndPoint.ToString(), lines, mappingText, hairpin, turnLine);
    }

    private static void Print(Report r, TextWriter o)
    {
        o.WriteLine($"local        {r.Local}");
        foreach (var s in r.Stun)
        {
            o.WriteLine(s.Reflexive is not null
                ? $"stun         {s.Server,-22} reflexive {s.Reflexive,-22} rtt {s.RttMs:F1} ms"
                : $"stun         {s.Server,-22} {s.Outcome}");
        }

        o.WriteLine($"mapping      {r.Mapping}");
        o.WriteLine($"hairpinning  {(r.Hairpinning is bool h ? (h ? "yes" : "no") : "unknown")}");
        if (r.Turn is { } t)
        {
            o.WriteLine(t.Relayed is not null
                ? $"turn         {t.Server,-22} relayed {t.Relayed} mapped {t.Mapped} lifetime {t.LifetimeSeconds:F0} s"
                : $"turn         {t.Server,-22} {t.Outcome}");
        }
    }
}
