using System.Net;
using System.Text.Json;
using Hipnat.Lab.Demo;

namespace Hipnat.Lab.Tests;

/// <summary>
/// The relay topology of the hipnat lab tests, one lab per test: relay 203.0.113.10 on "public"; alice behind nat1
/// (198.18.1.0/24), bob behind nat2 (198.18.2.0/24); keys made with <c>hipnat keygen</c>; daemons are the built hipnat.
/// </summary>
internal sealed class HipLab : IDisposable
{
    public static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(30);

    private readonly List<HipnatDaemon> daemons = [];

    private HipLab(NatOptions aliceNat, NatOptions bobNat)
    {
        Lab = NetworkLab.Create();
        try
        {
            Public = Lab.AddSegment("public", "203.0.113.0/24");
            RelayHost = Lab.AddHost("relay", Public);
            Nat1 = Lab.AddNat("nat1", Public, "198.18.1.0/24", aliceNat);
            Nat2 = Lab.AddNat("nat2", Public, "198.18.2.0/24", bobNat);
            AliceHost = Nat1.AddHost("alice");
            BobHost = Nat2.AddHost("bob");
            Tool = HipnatTool.ForLab(Lab, HipnatDll());
            Ids = Tool.Keygen("relay", "alice", "bob");
        }
        catch
        {
            Lab.Dispose();
            throw;
        }
    }

    public NetworkLab Lab { get; }

    public LabSegment Public { get; }

    public LabHost RelayHost { get; }

    public LabNat Nat1 { get; }

    public LabNat Nat2 { get; }

    public LabHost AliceHost { get; }

    public LabHost BobHost { get; }

    public HipnatTool Tool { get; }

    public IReadOnlyDictionary<string, HipnatIdentity> Ids { get; }

    /// <summary>The relay's HIP endpoint, 203.0.113.10:10500.</summary>
    public IPEndPoint RelayEndpoint => new(RelayHost.Address, HipnatTool.Port);

    public string RelayHit => Ids["relay"].Hit;

    public string AliceHit => Ids["alice"].Hit;

    public string BobHit => Ids["bob"].Hit;

    public static HipLab Create(NatOptions? aliceNat = null, NatOptions? bobNat = null)
    {
        LabRequirement.Root();
        return new HipLab(aliceNat ?? NatOptions.PortRestrictedCone, bobNat ?? NatOptions.PortRestrictedCone);
    }

    /// <summary>The hipnat.dll built next to this test project's configuration (the project references the CLI).</summary>
    public static string HipnatDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = dir.Parent!.Name;
        for (var d = dir; d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "src", "Hipnat.Cli", "bin", configuration, "net10.0", "hipnat.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"hipnat.dll not found under src/Hipnat.Cli/bin/{configuration}/net10.0; build src/Hipnat.Cli -c {configuration}");
    }

    /// <summary><c>hipnat relay --allow-any</c> (or <paramref name="args"/> instead of --allow-any) on the relay host.</summary>
    public HipnatDaemon StartRelay(params string[] args) =>
        Track(Tool.StartRelay(RelayHost, Ids["relay"], args.Length == 0 ? ["--allow-any"] : args));

    /// <summary>bob: <c>hipnat run --relay RELAY=203.0.113.10:10500</c> unless <paramref name="register"/> is false.</summary>
    public HipnatDaemon StartBob(bool register = true) =>
        Track(Tool.StartHost(BobHost, Ids["bob"], register ? ["--relay", $"{RelayHit}={RelayEndpoint}"] : []));

    /// <summary>alice: <c>hipnat run --peer BOB=203.0.113.10:10500</c>, bob reachable only through the relay.</summary>
    public HipnatDaemon StartAlice() => Track(Tool.StartHost(AliceHost, Ids["alice"], "--peer", $"{BobHit}={RelayEndpoint}"));

    /// <summary>Waits until bob's status shows a granted registration with the relay that reports REG_FROM.</summary>
    public static RegistrationStatus WaitForRegistration(HipnatDaemon client, string relayHit)
    {
        var status = client.WaitForStatus(s => HipnatStatus.GrantedRegistration(s, relayHit) is not null, TimeSpan.FromSeconds(10), "granted registration");
        return HipnatStatus.GrantedRegistration(status, relayHit)!;
    }

    /// <summary>Runs <c>hipnat connect PEER</c> in <paramref name="from"/>'s namespace.</summary>
    public static LabCommandResult Connect(HipnatDaemon from, string peerHit, int timeoutSeconds = 10) =>
        from.Cli(CliTimeout, "connect", peerHit, "--timeout", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Waits until the association with <paramref name="peerHit"/> is ESTABLISHED with its active pair satisfying <paramref name="pair"/>.</summary>
    public static JsonElement WaitForPath(HipnatDaemon d, string peerHit, Func<IPEndPoint, bool> pair, TimeSpan timeout, string what) =>
        d.WaitForStatus(s => HipnatStatus.State(s, peerHit) == "ESTABLISHED" && HipnatStatus.PeerAddress(s, peerHit) is { } p && pair(p), timeout, what);

    /// <summary>What every daemon printed, for assertion messages.</summary>
    public string Logs() => string.Join('\n', daemons.Select(d => d.Tail(40)));

    public void Dispose()
    {
        Parallel.ForEach(daemons, d => d.Dispose());
        Lab.Dispose();
    }

    private HipnatDaemon Track(HipnatDaemon d)
    {
        daemons.Add(d);
        return d;
    }
}
