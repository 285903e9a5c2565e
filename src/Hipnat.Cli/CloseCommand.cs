using System.CommandLine;
using Hipnat.Runtime.Control;

namespace Hipnat.Cli;

/// <summary><c>hipnat close HIT</c>: closes a host association (CLOSE / CLOSE_ACK).</summary>
internal static class CloseCommand
{
    public static Command Create()
    {
        var hit = CliOptions.Hit("The peer's HIT");
        var control = CliOptions.Control();
        var command = new Command("close", "Close the host association with a peer") { hit, control };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var peer = CliOptions.ParseHit(parse.GetValue(hit));
            var request = new ControlRequest { Command = ControlRequest.Close, Hit = peer.ToString() };
            var response = await ControlCall.SendAsync(parse.GetValue(control), request, ControlCall.DefaultTimeout, cancellationToken);
            if (!response.Ok)
            {
                parse.InvocationConfiguration.Error.WriteLine($"hipnat close: {response.Error}");
                return ExitCodes.Failed;
            }

            parse.InvocationConfiguration.Output.WriteLine(response.Message);
            return ExitCodes.Ok;
        });
        return command;
    }
}
