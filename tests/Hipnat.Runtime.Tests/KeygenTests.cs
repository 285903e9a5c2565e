using Hipnat.Cli;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Wire;

namespace Hipnat.Runtime.Tests;

/// <summary><c>hipnat keygen</c> and <c>hipnat hit</c>.</summary>
public sealed class KeygenTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("ecdsa-p256")]
    [InlineData("ecdsa-p384")]
    [InlineData("rsa")]
    public async Task KeygenWritesMode0600AndHitPrintsTheSameHit(string algorithm)
    {
        var key = _dir.File($"{algorithm}.pem");
        var gen = await InProcessCli.RunAsync("keygen", "--out", key, "--algorithm", algorithm);
        Assert.Equal(ExitCodes.Ok, gen.ExitCode);
        var printed = gen.Stdout.Trim();
        Assert.True(Hit.TryParse(printed, out var hit), $"keygen printed '{printed}', not a HIT");
        Assert.True(hit.IsOrchidV2);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(key, TestContext.Current.CancellationToken), StringComparison.Ordinal);

        var show = await InProcessCli.RunAsync("hit", key);
        Assert.Equal(ExitCodes.Ok, show.ExitCode);
        Assert.Equal(printed, show.Stdout.Trim());
    }

    [Fact]
    public async Task TheRealExecutablePrintsTheSameHitTwice()
    {
        var key = _dir.File("p.pem");
        var gen = await ChildProcess.RunHipnatAsync(TimeSpan.FromSeconds(60), "keygen", "--out", key);
        Assert.Equal(0, gen.ExitCode);
        var hit = await ChildProcess.RunHipnatAsync(TimeSpan.FromSeconds(60), "hit", key);
        Assert.Equal(0, hit.ExitCode);
        Assert.Equal(gen.Stdout.Trim(), hit.Stdout.Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
    }

    [Fact]
    public async Task KeygenRefusesToOverwriteWithoutForce()
    {
        var key = _dir.File("k.pem");
        var first = await InProcessCli.RunAsync("keygen", "--out", key);
        Assert.Equal(ExitCodes.Ok, first.ExitCode);
        var before = await File.ReadAllTextAsync(key, TestContext.Current.CancellationToken);

        var again = await InProcessCli.RunAsync("keygen", "--out", key);
        Assert.Equal(ExitCodes.Usage, again.ExitCode);
        Assert.Contains($"--out '{key}' already exists; refusing to overwrite a key (pass --force to replace it)", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(key, TestContext.Current.CancellationToken));

        var forced = await InProcessCli.RunAsync("keygen", "--out", key, "--force");
        Assert.Equal(ExitCodes.Ok, forced.ExitCode);
        Assert.NotEqual(first.Stdout, forced.Stdout);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
    }

    [Fact]
    public async Task ForceReplacesAWorldReadableFileWithA0600One()
    {
        var key = _dir.File("loose.pem");
        await File.WriteAllTextAsync(key, "old", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var r = await InProcessCli.RunAsync("keygen", "--out", key, "--force");
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Empty(Directory.GetFiles(_dir.Path, ".*tmp"));
    }

    [Fact]
    public async Task UnknownAlgorithmAndMissingDirectoryAreUsageErrors()
    {
        var alg = await InProcessCli.RunAsync("keygen", "--out", _dir.File("a.pem"), "--algorithm", "dsa");
        Assert.Equal(ExitCodes.Usage, alg.ExitCode);
        Assert.Contains("--algorithm 'dsa': unknown algorithm; use one of ecdsa-p256, ecdsa-p384, rsa", alg.Stderr, StringComparison.Ordinal);

        var dir = await InProcessCli.RunAsync("keygen", "--out", _dir.File("no/such/dir/a.pem"));
        Assert.Equal(ExitCodes.Usage, dir.ExitCode);
        Assert.Contains("does not exist; create it first", dir.Stderr, StringComparison.Ordinal);
    }
}
