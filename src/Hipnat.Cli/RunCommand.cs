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
            Description = "A peer's HIT and locator, repeatable, e.g. 2001:20::1=192.0.2.1:10500 (a relay's address reaches a peer registered there)",
            HelpName = "HIT=ADDR:PORT",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var raw = new Option<bool>("--raw") { Description = "Carry HIP directly over IP protocol 139 instead of UDP (needs root)" };
        var relay = new Option<string[]>("--relay")
        {
            Description = "Register with a relay (RELAY_UDP_HIP) at start-up and stay registered, repeatable, e.g. 2001:20::1=192.0.2.1:10500",
            HelpName = "RELAYHIT=ADDR:PORT",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var relayEsp = new Option<bool>("--relay-esp") { Description = "Also register for the data relay (RELAY_UDP_ESP) with each relay" };
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
        var command = new Command("run", "Run the HIP daemon in the foreground");
        common.AddTo(command);
        command.Add(peer);
        command.Add(raw);
        command.Add(relay);
        command.Add(relayEsp);
        command.Add(lifetime);
        command.Add(tun);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = common.Read(parse) with
            {
                Peers = parse.GetValue(peer) ?? [],
                Raw = parse.GetValue(raw),
                Relays = parse.GetValue(relay) ?? [],
                RelayEsp = parse.GetValue(relayEsp),
                RegistrationLifetime = parse.GetValue(lifetime),
            };
            var settings = DaemonCommandLine.BuildSettings(flags);
            settings.Tun.ApplyFlag(parse.GetValue(tun));
            return await DaemonCommandLine.RunAsync(settings, cancellationToken);
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
