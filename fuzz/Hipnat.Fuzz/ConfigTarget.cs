using System.Text;
using Hipnat.Runtime.Configuration;

namespace Hipnat.Fuzz;

/// <summary>
/// config: <see cref="DaemonConfigFile.Parse"/> (what <see cref="DaemonConfigFile.Load"/> does after reading the
/// file) on the input as UTF-8 text. Its documented error for bad content is <see cref="ConfigException"/>, which
/// is caught; anything else escaping is a crash.
/// </summary>
public sealed class ConfigTarget : IFuzzTarget
{
    public string Name => "config";

    public void Run(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        try
        {
            _ = DaemonConfigFile.Parse(text, "/etc/hipnat/fuzz.json");
        }
        catch (ConfigException)
        {
            // The typed error for a bad config file.
        }
    }

    public IEnumerable<(string Name, byte[] Data)> CreateSeeds() => SeedPackets.Config();
}
