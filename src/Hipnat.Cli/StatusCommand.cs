using System.CommandLine;
using System.Text.Json;
using Hipnat.Runtime.Control;

namespace Hipnat.Cli;

/// <summary><c>hipnat status [--json]</c>: the daemon's identity, counters and every association.</summary>
internal static class StatusCommand
{
    private static readonly ControlJsonContext Indented = new(new JsonSerializerOptions(ControlJsonContext.Default.Options) { WriteIndented = true });

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the full status as JSON" };
        var control = CliOptions.Control();
        var command = new Command("status", "Show the daemon's HIT, listeners, counters and host associations") { json, control };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var request = new ControlRequest { Command = ControlRequest.Status };
            var response = await ControlCall.SendAsync(parse.GetValue(control), request, ControlCall.DefaultTimeout, cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            if (!response.Ok || response.Status is not { } status)
            {
                parse.InvocationConfiguration.Error.WriteLine($"hipnat status: {response.Error ?? "the daemon sent no status"}");
                return ExitCodes.Failed;
            }

            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(status, Indented.StatusReport));
            }
            else
            {
                StatusTable.Write(status, output);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
