using System.Net;
using System.Text.Json;

namespace Hipnat.Lab.Tests;

/// <summary>
/// `hipnat netcheck` inside a NATed namespace against real coturn servers on the public segment: STUN reflexive
/// addresses (RFC 8489), mapping behaviour (RFC 4787 §4.1) and a TURN allocation (RFC 8656).
/// </summary>
public class CoturnLabTests
{
    private const int TurnPort = 3478;

    private static string HipnatDll()
    {
        // tests/Hipnat.Lab.Tests/bin/<Configuration>/net10.0 → src/Hipnat.Cli/bin/<Configuration>/net10.0/hipnat.dll
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = dir.Parent!.Name;
        var root = dir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(root, "src", "Hipnat.Cli", "bin", configuration, "net10.0", "hipnat.dll");
        Assert.SkipUnless(File.Exists(dll), $"build the CLI first: {dll} is missing");
        return dll;
    }

    private static LabProcess StartCoturn(LabHost host)
    {
        Assert.SkipUnless(File.Exists("/usr/bin/turnserver"), "coturn is not installed (apt-get install coturn; scripts/install-deps.sh does it)");
        var dir = Path.Combine(host.Lab.WorkDirectory, host.Name);
        Directory.CreateDirectory(dir);
        var p = host.Start(
            "turnserver", "-n", "--listening-ip", host.Address.ToString(), "--relay-ip", host.Address.ToString(),
            "--listening-port", TurnPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-rfc5780",
            "--min-port", "49152", "--max-port", "49300", "--lt-cred-mech", "--user", "lab:secret", "--realm", "hipnat.lab",
            "--no-tls", "--no-dtls", "--no-tcp", "--no-cli", "--log-file", "stdout",
            "--pidfile", Path.Combine(dir, "turnserver.pid"), "--userdb", Path.Combine(dir, "turndb"));
        p.WaitForOutput("(listener opened on|Total General servers)", TimeSpan.FromSeconds(10));
        return p;
    }

    private static JsonElement Netcheck(LabHost host, params string[] args)
    {
        var result = host.Run(TimeSpan.FromSeconds(60), "dotnet", [HipnatDll(), "netcheck", "--json", "--timeout", "2", .. args]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.StandardOutput).RootElement;
    }

    [Fact]
    public void BehindAnEndpointIndependentNatStunAndTurnReportTheNatsAddress()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var turn1 = lab.AddHost("turn1", pub);
        var turn2 = lab.AddHost("turn2", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24");
        var alice = nat.AddHost("alice");
        using var c1 = StartCoturn(turn1);
        using var c2 = StartCoturn(turn2);

        var report = Netcheck(alice,
            "--stun", $"{turn1.Address}:{TurnPort}", "--stun", $"{turn2.Address}:{TurnPort}",
            "--turn", $"{turn1.Address}:{TurnPort}", "--turn-user", "lab", "--turn-password", "secret");

        var stun = report.GetProperty("stun").EnumerateArray().ToArray();
        Assert.Equal(2, stun.Length);
        foreach (var s in stun)
        {
            var reflexive = IPEndPoint.Parse(s.GetProperty("reflexive").GetString()!);
            Assert.Equal(nat.PublicAddress, reflexive.Address);
        }

        Assert.StartsWith("endpoint-independent", report.GetProperty("mapping").GetString(), StringComparison.Ordinal);
        var t = report.GetProperty("turn");
        var relayed = IPEndPoint.Parse(t.GetProperty("relayed").GetString()!);
        Assert.Equal(turn1.Address, relayed.Address);
        Assert.InRange(relayed.Port, 49152, 49300);
        Assert.Equal(nat.PublicAddress, IPEndPoint.Parse(t.GetProperty("mapped").GetString()!).Address);
    }

    [Fact]
    public void BehindARandomFullyNatTheMappingDependsOnTheDestination()
    {
        LabRequirement.Root();
        using var lab = NetworkLab.Create();
        var pub = lab.AddSegment("public", "203.0.113.0/24");
        var turn1 = lab.AddHost("turn1", pub);
        var turn2 = lab.AddHost("turn2", pub);
        var nat = lab.AddNat("nat", pub, "198.18.1.0/24", NatOptions.Symmetric);
        var alice = nat.AddHost("alice");
        using var c1 = StartCoturn(turn1);
        using var c2 = StartCoturn(turn2);

        var report = Netcheck(alice, "--stun", $"{turn1.Address}:{TurnPort}", "--stun", $"{turn2.Address}:{TurnPort}");
        var ports = report.GetProperty("stun").EnumerateArray().Select(s => IPEndPoint.Parse(s.GetProperty("reflexive").GetString()!).Port).ToArray();
        Assert.NotEqual(ports[0], ports[1]);
        Assert.StartsWith("destination-dependent", report.GetProperty("mapping").GetString(), StringComparison.Ordinal);
    }
}
