using System.CommandLine;
using System.Globalization;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Wire.Dns;

namespace Hipnat.Cli;

/// <summary>
/// <c>hipnat connect HIT|NAME [--timeout S]</c>: runs a base exchange and waits for ESTABLISHED. A name is resolved by
/// the daemon (names file, then the HIP record in DNS, RFC 8005), so CLI and config share one resolver and cache.
/// </summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("PEER")
        {
            Description = "The peer's HIT (its locator must be known: --peer on `hipnat run` or `hipnat peers add`), or its name (names file or a HIP record in DNS)",
        };
        var timeout = new Option<double>("--timeout", "-t")
        {
            Description = "Seconds to wait for ESTABLISHED",
            HelpName = "S",
            DefaultValueFactory = _ => 10,
        };
        var control = CliOptions.Control();
        var command = new Command("connect", "Open a host association with a peer (by HIT or name) and wait until it is ESTABLISHED") { target, timeout, control };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string text = parse.GetValue(target) ?? string.Empty;
            double seconds = parse.GetValue(timeout);
            if (!(seconds > 0 && seconds <= 3600))
            {
                throw new ConfigException($"--timeout '{seconds.ToString(CultureInfo.InvariantCulture)}': must be between 0.1 and 3600 seconds");
            }

            var request = new ControlRequest { Command = ControlRequest.Connect, TimeoutSeconds = seconds };
            if (DnsName.LooksLikeName(text))
            {
                request.Name = text.Trim();
            }
            else
            {
                request.Hit = CliOptions.ParseHit(text).ToString();
            }

            // A name adds the DNS lookups (bounded by their own timeouts) to the wait.
            var wait = TimeSpan.FromSeconds(seconds + (request.Name is null ? 5 : 20));
            var response = await ControlCall.SendAsync(parse.GetValue(control), request, wait, cancellationToken);
            if (!response.Ok || response.Connect is not { } c)
            {
                parse.InvocationConfiguration.Error.WriteLine($"hipnat connect: {response.Error ?? "the daemon gave no result"}");
                return ExitCodes.Failed;
            }

            string who = c.Name is null ? c.Hit : $"{c.Name} ({c.Hit})";
            parse.InvocationConfiguration.Output.WriteLine(c.AlreadyEstablished
                ? $"already established with {who} via {c.PeerAddress}"
                : string.Create(CultureInfo.InvariantCulture, $"established with {who} via {c.PeerAddress} in {c.ElapsedMs:0.0} ms"));
            if (c.Resolve is { } r)
            {
                parse.InvocationConfiguration.Output.WriteLine(ResolvedLine(r));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>"bob.example. from DNS: rendezvous servers relay1.example. (203.0.113.1:10500), TTL 300 s".</summary>
    internal static string ResolvedLine(ResolveReport r)
    {
        string servers = r.RendezvousServers.Count > 0 ? $"rendezvous servers {string.Join(", ", r.RendezvousServers)}, " : string.Empty;
        string ttl = r.TtlSeconds is { } t ? string.Create(CultureInfo.InvariantCulture, $", TTL {t:0} s") : string.Empty;
        return $"{r.Name} from {r.Source}: {servers}locators {(r.Locators.Count == 0 ? "none" : string.Join(", ", r.Locators))}{ttl}";
    }
}
