namespace Hipnat.Runtime.Tests.Support;

/// <summary>Finds the built hipnat.dll: next to the test assembly (project reference), else src/Hipnat.Cli/bin/CONFIG/net10.0.</summary>
public static class HipnatBinary
{
    private static readonly Lazy<string> DllPath = new(Find);

    public static string Dll => DllPath.Value;

    private static string Find()
    {
        var local = Path.Combine(AppContext.BaseDirectory, "hipnat.dll");
        if (File.Exists(local) && File.Exists(Path.Combine(AppContext.BaseDirectory, "hipnat.runtimeconfig.json")))
        {
            return local;
        }

        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release"
            : "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "hipnat.sln")))
            {
                var candidate = Path.Combine(dir.FullName, "src", "Hipnat.Cli", "bin", configuration, "net10.0", "hipnat.dll");
                if (File.Exists(candidate))
                {
                    return candidate;
                }

                throw new FileNotFoundException($"hipnat.dll not found at {candidate}; build src/Hipnat.Cli -c {configuration} first");
            }
        }

        throw new FileNotFoundException("hipnat.dll not found next to the tests or in the repository");
    }
}
