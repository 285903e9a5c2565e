using System.CommandLine;
using Hipnat.Runtime;

namespace Hipnat.Cli;

/// <summary><c>hipnat hit FILE</c>: prints the HIT of a key file.</summary>
internal static class HitCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "Host identity key file (PKCS#8 PEM)" };
        var command = new Command("hit", "Print the HIT (IPv6 notation) of a host identity key file") { file };
        command.SetAction(parse =>
        {
            using var identity = HostIdentityFile.Load(parse.GetValue(file)!);
            parse.InvocationConfiguration.Output.WriteLine(identity.Hit.ToString());
            return ExitCodes.Ok;
        });
        return command;
    }
}
