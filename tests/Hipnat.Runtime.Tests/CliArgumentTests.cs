using Hipnat.Cli;
using Hipnat.Runtime.Tests.Support;

namespace Hipnat.Runtime.Tests;

/// <summary>Bad command lines give one clear line naming the input and the fix, a documented exit code, and no stack trace.</summary>
public sealed class CliArgumentTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task BadPeerNamesTheFlagAndShowsTheFormat()
    {
        var r = await InProcessCli.RunAsync("run", "--key", _dir.File("none.pem"), "--peer", "x", "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--peer 'x': expected HIT=ADDR:PORT, e.g. 2001:20::1=192.0.2.1:10500", r.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(r);
    }

    [Theory]
    [InlineData("192.0.2.1:10500=2001:20::1", "is not a HIT")]
    [InlineData("2001:db8::1=192.0.2.1:10500", "ORCHIDv2")]
    [InlineData("2001:20::1=somehost:10500", "'somehost' is not an IP address")]
    [InlineData("2001:20::1=192.0.2.1:70000", "port '70000' is not a number in 1-65535")]
    public async Task BadPeerPartsAreExplained(string peer, string expected)
    {
        var r = await InProcessCli.RunAsync("run", "--key", _dir.File("none.pem"), "--peer", peer, "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains($"--peer '{peer}'", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(r);
    }

    [Theory]
    [InlineData("localhost:10500", "'localhost' is not an IP address")]
    [InlineData("127.0.0.1:0", "port '0' is not a number in 1-65535")]
    [InlineData("[::1:10500", "missing ']'")]
    public async Task BadListenIsExplained(string listen, string expected)
    {
        var r = await InProcessCli.RunAsync("run", "--key", _dir.File("none.pem"), "--listen", listen, "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith("hipnat run: --listen ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(r);
    }

    [Fact]
    public async Task MissingKeyFileSaysHowToCreateOne()
    {
        var key = _dir.File("missing.pem");
        var r = await InProcessCli.RunAsync("run", "--key", key, "--listen", "127.0.0.1:" + Ports.FreeUdpPort(), "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains($"key file '{key}' not found; create one with `hipnat keygen --out {key}`", r.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(r);
    }

    [Fact]
    public async Task RunWithoutAnyKeySaysWhichFlagIsMissing()
    {
        var r = await InProcessCli.RunAsync("run", "--listen", "127.0.0.1:" + Ports.FreeUdpPort(), "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("no host identity key: pass --key FILE", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("this is not a key\n")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA!!!!\n-----END PRIVATE KEY-----\n")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n")]
    public async Task CorruptKeyFileIsReportedWithItsPath(string content)
    {
        var key = _dir.File("corrupt.pem");
        await File.WriteAllTextAsync(key, content, TestContext.Current.CancellationToken);
        var run = await InProcessCli.RunAsync("run", "--key", key, "--listen", "127.0.0.1:" + Ports.FreeUdpPort(), "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith($"hipnat run: key file '{key}': ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("hipnat keygen --out FILE", run.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(run);

        var hit = await InProcessCli.RunAsync("hit", key);
        Assert.Equal(ExitCodes.Usage, hit.ExitCode);
        Assert.StartsWith($"hipnat hit: key file '{key}': ", hit.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(hit);
    }

    [Fact]
    public async Task BadLogLevelListsTheLevels()
    {
        var r = await InProcessCli.RunAsync("run", "--key", _dir.File("k.pem"), "--log-level", "loud");
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--log-level 'loud': unknown level; use one of trace, debug, information", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadHitArgumentToConnectIsAUsageError()
    {
        var r = await InProcessCli.RunAsync("connect", "10.0.0.1", "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("hipnat connect: HIT '10.0.0.1' is not a HIT", r.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(r);
    }

    [Fact]
    public async Task BadTimeoutToConnectIsAUsageError()
    {
        var r = await InProcessCli.RunAsync("connect", "2001:20::1", "--timeout", "-3", "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--timeout '-3': must be between 0.1 and 3600 seconds", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommandAndMissingArgumentsAreUsageErrors()
    {
        var unknown = await InProcessCli.RunAsync("frobnicate");
        Assert.Equal(ExitCodes.Usage, unknown.ExitCode);
        Assert.Contains("frobnicate", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains("--help", unknown.Stderr, StringComparison.Ordinal);

        var missing = await InProcessCli.RunAsync("keygen");
        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.Contains("--out", missing.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(missing);
    }

    [Fact]
    public async Task ClientCommandsWithoutADaemonExitWith3AndNameTheSocket()
    {
        var sock = _dir.File("nobody.sock");
        foreach (var args in new[] { new[] { "status" }, ["connect", "2001:20::1"], ["close", "2001:20::1"], ["peers", "add", "2001:20::1", "192.0.2.1:10500"] })
        {
            var r = await InProcessCli.RunAsync([.. args, "--control", sock]);
            Assert.Equal(ExitCodes.DaemonUnavailable, r.ExitCode);
            Assert.Contains($"no hipnat daemon at control socket '{sock}'", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("hipnat run", r.Stderr, StringComparison.Ordinal);
            AssertNoStackTrace(r);
        }
    }

    [Fact]
    public async Task TheRealExecutableReportsTheSameWayWithoutAStackTrace()
    {
        var r = await ChildProcess.RunHipnatAsync(TimeSpan.FromSeconds(60), "run", "--key", _dir.File("k.pem"), "--peer", "x", "--control", _dir.File("c.sock"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal("hipnat run: --peer 'x': expected HIT=ADDR:PORT, e.g. 2001:20::1=192.0.2.1:10500", r.Stderr.Trim());
        Assert.Equal(string.Empty, r.Stdout);
    }

    [Fact]
    public async Task HelpListsTheCommandsAndExitCodes()
    {
        var r = await InProcessCli.RunAsync("--help");
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        foreach (var command in new[] { "keygen", "hit", "run", "connect", "status", "close", "peers" })
        {
            Assert.Contains(command, r.Stdout, StringComparison.Ordinal);
        }

        Assert.Contains("Exit codes", r.Stdout, StringComparison.Ordinal);
    }

    internal static void AssertNoStackTrace(ProcessResult r)
    {
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", r.Stderr, StringComparison.Ordinal);
    }
}
