using System.CommandLine;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;

namespace Hipnat.Cli;

/// <summary><c>hipnat peers add HIT ADDR:PORT...</c>: tells a running daemon where a peer is.</summary>
internal static class PeersCommand
{
    public static Command Create()
    {
        var hit = CliOptions.Hit("The peer's HIT");
        var locators = new Argument<string[]>("LOCATOR")
        {
            Description = "Where the peer is: ADDR:PORT, [IPv6]:PORT or hip://ADDR (one or more)",
            Arity = ArgumentArity.OneOrMore,
        };
        var control = CliOptions.Control();
        var add = new Command("add", "Add locators for a peer to the running daemon") { hit, locators, control };
        add.SetAction(async (parse, cancellationToken) =>
        {
            var peer = CliOptions.ParseHit(parse.GetValue(hit));
            var list = new List<string>();
            foreach (var text in parse.GetValue(locators) ?? [])
            {
                if (!SettingParsers.TryParseAddress(text, out var address, out var error))
                {
                    throw new ConfigException($"LOCATOR {error}");
                }

                list.Add(address.ToString());
            }

            var request = new ControlRequest { Command = ControlRequest.PeersAdd, Hit = peer.ToString(), Locators = list };
            var response = await ControlCall.SendAsync(parse.GetValue(control), request, ControlCall.DefaultTimeout, cancellationToken);
            if (!response.Ok)
            {
                parse.InvocationConfiguration.Error.WriteLine($"hipnat peers add: {response.Error}");
                return ExitCodes.Failed;
            }

            parse.InvocationConfiguration.Output.WriteLine(response.Message);
            return ExitCodes.Ok;
        });
        return new Command("peers", "Manage the running daemon's peer locators") { add };
    }
}
