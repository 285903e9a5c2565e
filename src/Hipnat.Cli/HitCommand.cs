using System.CommandLine;
using Hipnat.Runtime;

namespace Hipnat.Cli;

/// <summary><c>hipnat hit FILE</c>: prints the HIT of a key file (and, for ECDSA keys, the HIT earlier releases gave it).</summary>
internal static class HitCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "Host identity key file (PKCS#8 PEM)" };
        var command = new Command("hit", "Print the HIT (IPv6 notation) of a host identity key file") { file };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            using var identity = HostIdentityFile.Load(path);
            parse.InvocationConfiguration.Output.WriteLine(identity.Hit.ToString());

            // stdout stays the HIT alone (`HIT=$(hipnat hit FILE)`); the note about an ECDSA key's earlier HIT goes to stderr.
            if (HostIdentityFile.HitChangeNotice(identity, path) is { } notice)
            {
                parse.InvocationConfiguration.Error.WriteLine("hipnat hit: note: " + notice);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
