using System.CommandLine;
using System.Globalization;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;

namespace Hipnat.Cli;

/// <summary><c>hipnat connect HIT [--timeout S]</c>: runs a base exchange and waits for ESTABLISHED.</summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var hit = CliOptions.Hit("The peer's HIT (its locator must be known: --peer on `hipnat run` or `hipnat peers add`)");
        var timeout = new Option<double>("--timeout", "-t")
        {
            Description = "Seconds to wait for ESTABLISHED",
            HelpName = "S",
            DefaultValueFactory = _ => 10,
        };
        var control = CliOptions.Control();
        var command = new Command("connect", "Open a host association with a peer and wait until it is ESTABLISHED") { hit, timeout, control };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var peer = CliOptions.ParseHit(parse.GetValue(hit));
            double seconds = parse.GetValue(timeout);
            if (!(seconds > 0 && seconds <= 3600))
            {
                throw new ConfigException($"--timeout '{seconds.ToString(CultureInfo.InvariantCulture)}': must be between 0.1 and 3600 seconds");
            }

            var request = new ControlRequest { Command = ControlRequest.Connect, Hit = peer.ToString(), TimeoutSeconds = seconds };
            var response = await ControlCall.SendAsync(parse.GetValue(control), request, TimeSpan.FromSeconds(seconds + 5), cancellationToken);
            if (!response.Ok || response.Connect is not { } c)
            {
                parse.InvocationConfiguration.Error.WriteLine($"hipnat connect: {response.Error ?? "the daemon gave no result"}");
                return ExitCodes.Failed;
            }

            parse.InvocationConfiguration.Output.WriteLine(c.AlreadyEstablished
                ? $"already established with {c.Hit} via {c.PeerAddress}"
                : string.Create(CultureInfo.InvariantCulture, $"established with {c.Hit} via {c.PeerAddress} in {c.ElapsedMs:0.0} ms"));
            return ExitCodes.Ok;
        });
        return command;
    }
}
