using System.CommandLine;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Cli;

/// <summary>
/// <c>hipnat relay</c>: a daemon that offers registration (RFC 8003) for rendezvous (RFC 8004), the control relay
/// and the data relay (RFC 9028 RELAY_UDP_HIP / RELAY_UDP_ESP), and answers STUN Binding requests on its port.
/// Registration is closed unless HITs are allowed (--allow) or it is opened to anyone (--allow-any).
/// </summary>
internal static class RelayCommand
{
    public static Command Create()
    {
        var common = new DaemonCommandLine();
        var allow = new Option<string[]>("--allow")
        {
            Description = "A client HIT allowed to register, repeatable (registration is closed by default)",
            HelpName = "HIT",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var allowAny = new Option<bool>("--allow-any") { Description = "Let any host register (open relay); off by default" };
        var services = new Option<string?>("--services")
        {
            Description = "Services to offer, comma-separated: rendezvous, relay-hip, relay-esp (default all three)",
            HelpName = "LIST",
        };
        var relayAddress = new Option<string?>("--relay-address")
        {
            Description = "Address of the relayed UDP ports (relay-esp); default the first concrete --listen address",
            HelpName = "ADDR",
        };
        var relayPorts = new Option<string?>("--relay-ports")
        {
            Description = "UDP port range for relayed addresses, one port per data-relay client (default 40000-49999)",
            HelpName = "MIN-MAX",
        };
        var maxClients = new Option<string?>("--max-clients")
        {
            Description = "Most registered clients; more get REG_FAILED insufficient resources (default 100000)",
            HelpName = "N",
        };
        var lifetimeMin = new Option<string?>("--lifetime-min") { Description = "Shortest registration lifetime granted, seconds (default 10)", HelpName = "S" };
        var lifetimeMax = new Option<string?>("--lifetime-max") { Description = "Longest registration lifetime granted, seconds (default 3600)", HelpName = "S" };
        var command = new Command("relay", "Run a relay: registration, rendezvous, control and data relaying, STUN (in the foreground)");
        common.AddTo(command);
        command.Add(allow);
        command.Add(allowAny);
        command.Add(services);
        command.Add(relayAddress);
        command.Add(relayPorts);
        command.Add(maxClients);
        command.Add(lifetimeMin);
        command.Add(lifetimeMax);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = common.Read(parse) with
            {
                Registrar = true,
                Allow = parse.GetValue(allow) ?? [],
                AllowAny = parse.GetValue(allowAny),
                Services = parse.GetValue(services),
                RelayAddress = parse.GetValue(relayAddress),
                RelayPorts = parse.GetValue(relayPorts),
                MaxClients = parse.GetValue(maxClients),
                LifetimeMin = parse.GetValue(lifetimeMin),
                LifetimeMax = parse.GetValue(lifetimeMax),
            };
            DaemonSettings Load()
            {
                var s = DaemonCommandLine.BuildSettings(flags);

                // A relay forwards for others and is no tunnel end point: no hip0 unless its config file asks for one.
                s.Tun.Enabled ??= false;
                return s;
            }

            return await DaemonCommandLine.RunAsync(Load(), cancellationToken, Load);
        });
        return command;
    }
}
