using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Hipnat.Cli;
using Hipnat.Nat.Stun;
using Hipnat.Runtime.Tests.Support;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// `hipnat netcheck` in this process against Binding responders on loopback: bad arguments are one line and exit 2,
/// nothing answering is "UDP blocked" and exit 1, and the human and JSON reports carry the same facts, per address
/// family. (Behaviour behind real NATs is in Hipnat.Lab.Tests' NetcheckLabTests.)
/// </summary>
public sealed class NetcheckCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(new[] { "netcheck" }, "no server to ask: give --stun ADDR:PORT")]
    [InlineData(new[] { "netcheck", "--stun", "not an address" }, "--stun 'not an address'")]
    [InlineData(new[] { "netcheck", "--stun", "0.0.0.0:3478" }, "is a wildcard address")]
    [InlineData(new[] { "netcheck", "--stun", "127.0.0.1:70000" }, "port '70000' is not a number in 1-65535")]
    [InlineData(new[] { "netcheck", "--stun", "hip://127.0.0.1" }, "is a raw HIP address")]
    [InlineData(new[] { "netcheck", "--stun", "127.0.0.1:3478", "--timeout", "0" }, "--timeout 0: give seconds above 0 and at most 60")]
    [InlineData(new[] { "netcheck", "--stun", "127.0.0.1:3478", "--timeout", "-1" }, "--timeout -1")]
    [InlineData(new[] { "netcheck", "--stun", "127.0.0.1:3478", "--timeout", "61" }, "--timeout 61")]
    [InlineData(new[] { "netcheck", "--stun", "127.0.0.1:3478", "--samples", "0" }, "--samples 0: give 1 to 20")]
    [InlineData(new[] { "netcheck", "--stun", "127.0.0.1:3478", "--samples", "21" }, "--samples 21")]
    [InlineData(new[] { "netcheck", "--turn", "127.0.0.1:3478" }, "--turn needs --turn-user and --turn-password")]
    [InlineData(new[] { "netcheck", "--stun", "127.0.0.1:3478", "--turn-user", "u" }, "--turn-user needs --turn ADDR:PORT")]
    [InlineData(new[] { "netcheck", "--stun", "127.0.0.1:3478", "--local", "nowhere" }, "--local 'nowhere'")]
    [InlineData(new[] { "netcheck", "--stun", "127.0.0.1:3478", "--local", "192.0.2.77" }, "--local 192.0.2.77:0: not an address of this host")]
    [InlineData(new[] { "netcheck", "--stun", "127.0.0.1:3478", "--samples", "x" }, "--samples")]
    [InlineData(new[] { "netcheck", "--stun", "no-such-host.invalid:3478" }, "cannot resolve 'no-such-host.invalid'")]
    public async Task BadArgumentsAreOneLineAndExitTwo(string[] args, string expected)
    {
        var r = await InProcessCli.RunAsync(args);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith("hipnat netcheck: ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, r.Stdout);
        CliArgumentTests.AssertNoStackTrace(r);
    }

    [Fact]
    public async Task AMissingOrEmptyConfigFileIsABadArgument()
    {
        var missing = await InProcessCli.RunAsync("netcheck", "--config", _dir.File("missing.json"));
        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.Contains("not found; check the --config path", missing.Stderr, StringComparison.Ordinal);

        File.WriteAllText(_dir.File("empty.json"), "{}");
        var empty = await InProcessCli.RunAsync("netcheck", "--config", _dir.File("empty.json"));
        Assert.Equal(ExitCodes.Usage, empty.ExitCode);
        Assert.Contains("has no stunServers, relays or turnServers", empty.Stderr, StringComparison.Ordinal);
        CliArgumentTests.AssertNoStackTrace(empty);
    }

    [Fact]
    public async Task ALocalPortInUseExitsFour()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var r = await InProcessCli.RunAsync("netcheck", "--stun", "127.0.0.1:3478", "--local", taken.LocalEndPoint!.ToString()!);
        Assert.Equal(ExitCodes.Environment, r.ExitCode);
        Assert.Contains("is in use", r.Stderr, StringComparison.Ordinal);
        CliArgumentTests.AssertNoStackTrace(r);
    }

    [Fact]
    public async Task NoAnswerMeansUdpBlockedAndExitOne()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var server = silent.LocalEndPoint!.ToString()!;

        var human = await InProcessCli.RunAsync("netcheck", "--stun", server, "--timeout", "0.3");
        Assert.Equal(ExitCodes.Failed, human.ExitCode);
        Assert.Contains("  udp          blocked: no server answered within 0.3 s", human.Stdout, StringComparison.Ordinal);
        Assert.Contains("  mapping      unknown: no server answered", human.Stdout, StringComparison.Ordinal);
        Assert.Equal(string.Empty, human.Stderr);

        var json = await InProcessCli.RunAsync("netcheck", "--stun", server, "--timeout", "0.3", "--json");
        Assert.Equal(ExitCodes.Failed, json.ExitCode);
        var report = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.False(report.GetProperty("udp").GetBoolean());
        Assert.Equal("unknown", report.GetProperty("mapping").GetString());
        var s = Assert.Single(report.GetProperty("stun").EnumerateArray().ToArray());
        Assert.Equal("no answer", s.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("reflexive").ValueKind);
    }

    [Fact]
    public async Task HumanAndJsonReportsCarryTheSameFacts()
    {
        using var a = new Responder(IPAddress.Loopback);
        using var b = new Responder(IPAddress.Loopback);
        string[] args = ["netcheck", "--stun", a.EndPoint.ToString(), "--stun", b.EndPoint.ToString(), "--samples", "2", "--local", "127.0.0.1"];

        var json = await InProcessCli.RunAsync([.. args, "--json"]);
        Assert.Equal(ExitCodes.Ok, json.ExitCode);
        var report = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.True(report.GetProperty("udp").GetBoolean());
        Assert.Equal("no-nat", report.GetProperty("mapping").GetString());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("hairpinning").ValueKind);
        var v4 = report.GetProperty("ipv4");
        Assert.False(v4.GetProperty("nat").GetBoolean());
        Assert.Equal("not applicable: no NAT", v4.GetProperty("hairpinningNote").GetString());
        var local = IPEndPoint.Parse(v4.GetProperty("local").GetString()!);
        Assert.Equal(IPAddress.Loopback, local.Address);
        foreach (var s in report.GetProperty("stun").EnumerateArray())
        {
            Assert.Equal("IPv4", s.GetProperty("family").GetString());
            Assert.Equal("--stun", s.GetProperty("source").GetString());
            Assert.Equal(local, IPEndPoint.Parse(s.GetProperty("reflexive").GetString()!));
            Assert.Equal(3, s.GetProperty("sent").GetInt32());
            Assert.Equal(2, s.GetProperty("rttSamplesMs").GetArrayLength());
            Assert.True(s.GetProperty("rttMinMs").GetDouble() > 0);
            Assert.True(s.GetProperty("rttMedianMs").GetDouble() >= s.GetProperty("rttMinMs").GetDouble());
            Assert.Equal(s.GetProperty("rttMedianMs").GetDouble(), s.GetProperty("rttMs").GetDouble());
        }

        var human = await InProcessCli.RunAsync(args);
        Assert.Equal(ExitCodes.Ok, human.ExitCode);
        var lines = human.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("IPv4         local 127.0.0.1:", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^  server +source +reflexive +rtt min/median +answers$", lines[1]);
        Assert.Matches($@"^  {Regex(a.EndPoint)} +--stun +127\.0\.0\.1:\d+ +\d+\.\d\d/\d+\.\d\d ms +3/3$", lines[2]);
        Assert.Matches($@"^  {Regex(b.EndPoint)} +--stun +127\.0\.0\.1:\d+ +\d+\.\d\d/\d+\.\d\d ms +3/3$", lines[3]);
        Assert.Equal(lines[1].IndexOf("reflexive", StringComparison.Ordinal), lines[2].IndexOf("127.0.0.1:", 4 + a.EndPoint.ToString().Length, StringComparison.Ordinal));
        Assert.Equal("  udp          yes", lines[4]);
        Assert.Matches(@"^  public       127\.0\.0\.1:\d+ \(no NAT: a local address\)$", lines[5]);
        Assert.StartsWith("  mapping      none: no NAT", lines[6], StringComparison.Ordinal);
        Assert.Equal("  hairpinning  not applicable: no NAT", lines[7]);
        Assert.StartsWith("IPv6         not tested", lines[8], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ipv4AndIpv6AreReportedSeparately()
    {
        Assert.SkipUnless(Socket.OSSupportsIPv6 && CanBind(IPAddress.IPv6Loopback), "no IPv6 loopback on this machine");
        using var v4 = new Responder(IPAddress.Loopback);
        using var v6 = new Responder(IPAddress.IPv6Loopback);
        var r = await InProcessCli.RunAsync("netcheck", "--stun", v4.EndPoint.ToString(), "--stun", v6.EndPoint.ToString(), "--samples", "1", "--json");
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        var report = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("IPv4", report.GetProperty("ipv4").GetProperty("family").GetString());
        Assert.Equal("IPv6", report.GetProperty("ipv6").GetProperty("family").GetString());
        Assert.Equal("no-nat", report.GetProperty("ipv6").GetProperty("mapping").GetString());
        var stun = report.GetProperty("stun").EnumerateArray().ToArray();
        Assert.Equal(["IPv4", "IPv6"], stun.Select(s => s.GetProperty("family").GetString()));
        Assert.Equal(AddressFamily.InterNetworkV6, IPEndPoint.Parse(stun[1].GetProperty("reflexive").GetString()!).AddressFamily);
        Assert.NotEqual(report.GetProperty("ipv4").GetProperty("local").GetString(), report.GetProperty("ipv6").GetProperty("local").GetString());
    }

    [Fact]
    public async Task ServersComeFromTheConfigFileAndNamesResolve()
    {
        using var a = new Responder(IPAddress.Loopback);
        using var b = new Responder(IPAddress.Loopback);
        File.WriteAllText(_dir.File("c.json"), $$"""{ "stunServers": ["{{a.EndPoint}}"] }""");
        var r = await InProcessCli.RunAsync("netcheck", "--config", _dir.File("c.json"), "--stun", $"localhost:{b.EndPoint.Port}", "--samples", "1", "--json");
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        var stun = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("stun").EnumerateArray().ToArray();
        Assert.Contains(stun, s => s.GetProperty("server").GetString() == b.EndPoint.ToString() && s.GetProperty("source").GetString() == "--stun");
        Assert.Contains(stun, s => s.GetProperty("server").GetString() == a.EndPoint.ToString() && s.GetProperty("source").GetString() == "stunServers");
        Assert.All(stun.Where(s => s.GetProperty("family").GetString() == "IPv4"), s => Assert.Equal("answered", s.GetProperty("outcome").GetString()));
    }

    [Fact]
    public void ResolveServerTakesAddressesWithAndWithoutPort()
    {
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.1"), 3478)], NetcheckCommand.ResolveServer("--stun", "192.0.2.1"));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.1"), 19302)], NetcheckCommand.ResolveServer("--stun", "192.0.2.1:19302"));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("2001:db8::1"), 3478)], NetcheckCommand.ResolveServer("--stun", "[2001:db8::1]"));
        Assert.Contains(new IPEndPoint(IPAddress.Loopback, 3478), NetcheckCommand.ResolveServer("--stun", "localhost"));
    }

    private static string Regex(IPEndPoint e) => System.Text.RegularExpressions.Regex.Escape(e.ToString());

    private static bool CanBind(IPAddress address)
    {
        try
        {
            using var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(address, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>An RFC 8489 Binding responder (the sans-IO <see cref="StunServer"/>) on a loopback socket.</summary>
    private sealed class Responder : IDisposable
    {
        private readonly Socket _socket;
        private readonly Thread _thread;
        private volatile bool _stopped;

        public Responder(IPAddress address)
        {
            _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            _socket.Bind(new IPEndPoint(address, 0));
            EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            var server = new StunServer();
            _thread = new Thread(() =>
            {
                var buffer = new byte[2048];
                while (!_stopped)
                {
                    try
                    {
                        if (!_socket.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead))
                        {
                            continue;
                        }

                        EndPoint remote = new IPEndPoint(address.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
                        int n = _socket.ReceiveFrom(buffer, ref remote);
                        if (server.Handle((IPEndPoint)remote, buffer.AsSpan(0, n)).Response is { } response)
                        {
                            _socket.SendTo(response, remote);
                        }
                    }
                    catch (SocketException)
                    {
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                }
            })
            { IsBackground = true };
            _thread.Start();
        }

        public IPEndPoint EndPoint { get; }

        public void Dispose()
        {
            _stopped = true;
            _thread.Join();
            _socket.Dispose();
        }
    }
}
