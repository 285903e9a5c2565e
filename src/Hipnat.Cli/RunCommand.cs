using System.CommandLine;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Cli;

/// <summary><c>hipnat run</c>: the daemon, in the foreground, until SIGINT/SIGTERM.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var common = new DaemonCommandLine();
        var peer = new Option<string[]>("--peer", "-p")
        {
            Description = "A peer's HIT and locator, repeatable, e.g. 2001:20::1=192.0.2.1:10500 (a relay's address reaches a peer registered there); or a peer's name, e.g. bob.example.com, resolved from the names file or its HIP record in DNS",
            HelpName = "HIT=ADDR:PORT|NAME",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var raw = new Option<bool>("--raw") { Description = "Carry HIP directly over IP protocol 139 instead of UDP (needs root)" };
        var relay = new Option<string[]>("--relay")
        {
            Description = "Register with a relay (RELAY_UDP_HIP) at start-up and stay registered, repeatable, e.g. 2001:20::1=192.0.2.1:10500",
            HelpName = "RELAYHIT=ADDR:PORT",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var relayEsp = new Option<bool>("--relay-esp") { Description = "Require the data relay (RELAY_UDP_ESP) of each relay; by default it is asked for wherever a relay offers it" };
        var noRelayEsp = new Option<bool>("--no-relay-esp") { Description = "Never ask for the data relay, even where a relay offers it: ESP only on direct paths (and TURN, if configured)" };
        var lifetime = new Option<string?>("--registration-lifetime")
        {
            Description = "Registration lifetime to ask relays for, seconds (default 600; renewed before it ends)",
            HelpName = "S",
        };
        var tun = new Option<string?>("--tun")
        {
            Description = "ESP data plane on a TUN interface: on, off, or an interface name (default on as root, interface hip0)",
            HelpName = "on|off|NAME",
        };
        var dnsResponder = new Option<string?>("--dns-responder")
        {
            Description = "Local DNS responder answering peers' names with their HITs (AAAA) and LSIs (A), forwarding other queries: on, off, or ADDR[:PORT] (default off; on listens on 127.0.0.55:53)",
            HelpName = "on|off|ADDR[:PORT]",
        };
        var natModes = new Option<string?>("--nat-modes")
        {
            Description = "NAT traversal modes in preference order (default ice-hip-udp,ice-stun-udp,udp-encapsulation)",
            HelpName = "LIST",
        };
        var iceCandidates = new Option<string?>("--ice-candidates")
        {
            Description = "ICE candidate types to gather and offer: host, srflx, relay (default all three)",
            HelpName = "LIST",
        };
        var iceInterface = new Option<string[]>("--ice-interface")
        {
            Description = "Interface for host candidates, repeatable, in order of preference (default every interface)",
            HelpName = "NAME",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var iceIgnore = new Option<string[]>("--ice-ignore-interface")
        {
            Description = "Interface never used for host candidates, repeatable",
            HelpName = "NAME",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var icePacing = new Option<string?>("--ice-pacing") { Description = "Milliseconds between connectivity checks (Ta), 5-10000 (default 50)", HelpName = "MS" };
        var iceFallback = new Option<string?>("--ice-relay-fallback") { Description = "Milliseconds without a working direct pair before a relayed pair is nominated (default 2000)", HelpName = "MS" };
        var iceDirectRetry = new Option<string?>("--ice-direct-retry") { Description = "Milliseconds on a relayed pair before failed direct pairs are checked again, doubling each time; 0 off (default 35000)", HelpName = "MS" };
        var iceWait = new Option<string?>("--ice-nomination-wait") { Description = "Milliseconds to wait for a better pair after the first direct one works (default 150)", HelpName = "MS" };
        var iceAggressive = new Option<bool>("--ice-aggressive") { Description = "Use the first pair that works at once and nominate it without waiting" };
        var stun = new Option<string[]>("--stun")
        {
            Description = "STUN server for server-reflexive candidates, repeatable (a hipnat relay answers STUN on its HIP port)",
            HelpName = "ADDR:PORT",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var multihoming = new Option<string?>("--multihoming")
        {
            Description = "How paths from several interfaces are used: failover (default), hot-standby, or load-balance (an SA pair per interface, flows spread by RTT and loss)",
            HelpName = "POLICY",
        };
        var command = new Command("run", "Run the HIP daemon in the foreground");
        common.AddTo(command);
        command.Add(peer);
        command.Add(raw);
        command.Add(relay);
        command.Add(relayEsp);
        command.Add(noRelayEsp);
        command.Add(lifetime);
        command.Add(tun);
        command.Add(dnsResponder);
        command.Add(natModes);
        command.Add(iceCandidates);
        command.Add(iceInterface);
        command.Add(iceIgnore);
        command.Add(icePacing);
        command.Add(iceFallback);
        command.Add(iceDirectRetry);
        command.Add(iceWait);
        command.Add(iceAggressive);
        command.Add(stun);
        command.Add(multihoming);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = common.Read(parse) with
            {
                Peers = parse.GetValue(peer) ?? [],
                Raw = parse.GetValue(raw),
                Relays = parse.GetValue(relay) ?? [],
                RelayEsp = parse.GetValue(relayEsp),
                NoRelayEsp = parse.GetValue(noRelayEsp),
                RegistrationLifetime = parse.GetValue(lifetime),
                NatModes = parse.GetValue(natModes),
                IceCandidates = parse.GetValue(iceCandidates),
                IceInterfaces = parse.GetValue(iceInterface) ?? [],
                IceIgnoreInterfaces = parse.GetValue(iceIgnore) ?? [],
                IcePacing = parse.GetValue(icePacing),
                IceRelayFallback = parse.GetValue(iceFallback),
                IceDirectRetry = parse.GetValue(iceDirectRetry),
                IceNominationWait = parse.GetValue(iceWait),
                IceAggressive = parse.GetValue(iceAggressive),
                StunServers = parse.GetValue(stun) ?? [],
                Multihoming = parse.GetValue(multihoming),
            };
            DaemonSettings Load()
            {
                var s = DaemonCommandLine.BuildSettings(flags);
                s.Tun.ApplyFlag(parse.GetValue(tun));
                s.DnsResponder.ApplyFlag(parse.GetValue(dnsResponder));
                return s;
            }

            return await DaemonCommandLine.RunAsync(Load(), cancellationToken, Load);
        });
        return command;
    }

    /// <summary>The config file (if any) with the flags applied on top. Throws <see cref="ConfigException"/> naming the flag.</summary>
    internal static DaemonSettings BuildSettings(
        string? configFile, string? key, string[] listen, string[] peers, bool raw, string? control, string? logLevel) =>
        DaemonCommandLine.BuildSettings(new DaemonFlags
        {
            ConfigFile = configFile,
            Key = key,
            Listen = listen,
            Peers = peers,
            Raw = raw,
            Control = control,
            LogLevel = logLevel,
        });
}
