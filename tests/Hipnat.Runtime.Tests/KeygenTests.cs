using Hipnat.Cli;
using Hipnat.Crypto.Tests;
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
        var text = await File.ReadAllTextAsync(key, TestContext.Current.CancellationToken);
        Assert.StartsWith(HostIdentityFile.UncompressedPointMarker + "\n-----BEGIN PRIVATE KEY-----", text, StringComparison.Ordinal);

        var show = await InProcessCli.RunAsync("hit", key);
        Assert.Equal(ExitCodes.Ok, show.ExitCode);
        Assert.Equal(printed, show.Stdout.Trim());

        // A key this keygen made never had another HIT: no note. The same ECDSA key without the marker line (as an
        // earlier release wrote it) gets the note with the earlier HIT; an RSA key's HIT never changed.
        Assert.Empty(show.Stderr);
        using var loaded = HostIdentityFile.Load(key);
        var bare = _dir.File($"{algorithm}-bare.pem");
        await File.WriteAllTextAsync(bare, text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..], TestContext.Current.CancellationToken);
        var showBare = await InProcessCli.RunAsync("hit", bare);
        Assert.Equal(printed, showBare.Stdout.Trim());
        if (algorithm == "rsa")
        {
            Assert.Null(loaded.HitBeforeUncompressedPoint);
            Assert.Empty(showBare.Stderr);
        }
        else
        {
            Assert.StartsWith("hipnat hit: note: ", showBare.Stderr, StringComparison.Ordinal);
            Assert.Contains($"its HIT was {loaded.HitBeforeUncompressedPoint}", showBare.Stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A key file made before HOST_ID carried 0x04 | x | y (a PKCS#8 key holds no HIT, so any ECDSA key file is one)
    /// still loads; <c>hipnat hit</c> prints its new HIT alone on stdout and says on stderr what the HIT was before.
    /// The HITs are the ones computed outside .NET (<see cref="Hipnat.Crypto.Tests.EcdsaKnownAnswers"/>).
    /// </summary>
    [Theory]
    [InlineData("p256")]
    [InlineData("p384")]
    public async Task HitOfAnExistingEcdsaKeyFileNamesTheHitItHadBefore(string curve)
    {
        var (pem, hit, before) = curve == "p256"
            ? (EcdsaKnownAnswers.P256Pem, EcdsaKnownAnswers.P256Hit, EcdsaKnownAnswers.P256HitBefore)
            : (EcdsaKnownAnswers.P384Pem, EcdsaKnownAnswers.P384Hit, EcdsaKnownAnswers.P384HitBefore);
        var key = _dir.File($"{curve}.pem");
        await File.WriteAllTextAsync(key, pem, TestContext.Current.CancellationToken);

        var show = await InProcessCli.RunAsync("hit", key);
        Assert.Equal(ExitCodes.Ok, show.ExitCode);
        Assert.Equal(Hit.Parse(hit) + "\n", show.Stdout.ReplaceLineEndings("\n"));
        string newHit = Hit.Parse(hit).ToString();
        string oldHit = Hit.Parse(before).ToString();
        Assert.Equal(
            $"hipnat hit: note: hipnat now writes ECDSA public keys in HOST_ID as the uncompressed point 0x04 | x | y, which changed the HIT of ECDSA keys: "
            + $"this key's HIT is {newHit}; if the key was made by an earlier hipnat, its HIT was {oldHit}, "
            + $"and peers, relay allow-lists and config files that name {oldHit} need {newHit}\n",
            show.Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task TheDaemonLogsAnEcdsaKeysEarlierHitAtStartUp()
    {
        var key = _dir.File("old.pem");
        await File.WriteAllTextAsync(key, EcdsaKnownAnswers.P256Pem, TestContext.Current.CancellationToken);
        string newHit = Hit.Parse(EcdsaKnownAnswers.P256Hit).ToString();
        string oldHit = Hit.Parse(EcdsaKnownAnswers.P256HitBefore).ToString();
        using var daemon = await DaemonProcess.StartAsync(newHit, _dir.File("d.sock"), "--key", key, "--listen", $"127.0.0.1:{Ports.FreeUdpPort()}");
        Assert.True(await daemon.Process.WaitForOutputAsync($"hipnat daemon up: HIT {newHit}", TimeSpan.FromSeconds(30)), daemon.Process.Output);
        Assert.Contains($"if the key was made by an earlier hipnat, its HIT was {oldHit}", daemon.Process.Output, StringComparison.Ordinal);
        Assert.Equal(newHit, (await daemon.StatusAsync()).LocalHit);
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
