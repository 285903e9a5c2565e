using System.CommandLine;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;

namespace Hipnat.Cli;

/// <summary>Options several commands share.</summary>
internal static class CliOptions
{
    public static Option<string?> Control() => new("--control")
    {
        Description = $"Control socket of the daemon (default: {ControlSocketPath.SystemPath} as root, else $XDG_RUNTIME_DIR/hipnat/hipnat.sock, else ~/.local/state/hipnat/hipnat.sock; clients fall back to {ControlSocketPath.SystemPath})",
        HelpName = "SOCKET",
    };

    public static Argument<string> Hit(string description) => new("HIT")
    {
        Description = description,
    };

    /// <summary>Parses a HIT argument or throws a usage error naming it.</summary>
    public static Hipnat.Wire.Hit ParseHit(string? text)
    {
        if (!SettingParsers.TryParseHit(text, out var hit, out var error))
        {
            throw new ConfigException($"HIT {error}");
        }

        return hit;
    }
}
