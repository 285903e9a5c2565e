using System.CommandLine;
using Hipnat.Crypto;
using Hipnat.Runtime;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Cli;

/// <summary><c>hipnat keygen --out FILE [--algorithm A] [--force]</c>: creates a host identity key.</summary>
internal static class KeygenCommand
{
    private static readonly string[] Algorithms = ["ecdsa-p256", "ecdsa-p384", "rsa"];

    public static Command Create()
    {
        var output = new Option<string>("--out", "-o")
        {
            Description = "File to write the private key to (PKCS#8 PEM, created with mode 0600)",
            HelpName = "FILE",
            Required = true,
        };
        var algorithm = new Option<string>("--algorithm", "-a")
        {
            Description = "Host identity algorithm: ecdsa-p256 (default), ecdsa-p384 or rsa (3072 bits)",
            HelpName = "ALG",
            DefaultValueFactory = _ => "ecdsa-p256",
        };
        var force = new Option<bool>("--force") { Description = "Replace FILE if it exists" };
        var command = new Command("keygen", "Create a host identity key and print its HIT") { output, algorithm, force };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(output)!;
            var name = parse.GetValue(algorithm)!;
            var kind = name.ToLowerInvariant() switch
            {
                "ecdsa-p256" or "p256" or "ecdsa" => HostIdentityKind.EcdsaP256,
                "ecdsa-p384" or "p384" => HostIdentityKind.EcdsaP384,
                "rsa" => HostIdentityKind.Rsa,
                _ => throw new ConfigException($"--algorithm '{name}': unknown algorithm; use one of {string.Join(", ", Algorithms)}"),
            };
            if (!parse.GetValue(force) && File.Exists(path))
            {
                throw new ConfigException($"--out '{path}' already exists; refusing to overwrite a key (pass --force to replace it)");
            }

            using var identity = HostIdentity.Generate(kind);
            HostIdentityFile.Write(path, identity, parse.GetValue(force));
            parse.InvocationConfiguration.Output.WriteLine(identity.Hit.ToString());
            return ExitCodes.Ok;
        });
        return command;
    }
}
