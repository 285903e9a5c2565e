using System.Net.Sockets;
using System.Text;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// The control socket against other local users: what may sit at its path, the socket file's mode and group, who
/// may connect (SO_PEERCRED), and the limits on connections and requests.
/// </summary>
public sealed class ControlSocketSecurityTests : IDisposable
{
    private const uint Nobody = 65534;

    /// <summary>A gid no account uses, as the configured control group.</summary>
    private const uint TestGroup = 47113;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static bool CanSwitchUsers => NativeSignals.IsRoot && File.Exists("/usr/bin/setpriv");

    [Fact]
    public void ARegularFileAtThePathIsRefusedAndKept()
    {
        var path = _dir.File("c.sock");
        File.WriteAllText(path, "precious");

        var e = Assert.Throws<ControlSocketException>(() => new ControlServer(path, new EchoHandler(), NullLogger.Instance));

        Assert.Equal(ControlSocketProblem.NotASocket, e.Problem);
        Assert.Contains($"control socket path '{path}' is a regular file, not a socket", e.Message, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(_dir.Path)); // no temporary socket left behind
    }

    [Fact]
    public void ADirectoryAtThePathIsRefused()
    {
        var path = _dir.File("c.sock");
        Directory.CreateDirectory(path);

        var e = Assert.Throws<ControlSocketException>(() => new ControlServer(path, new EchoHandler(), NullLogger.Instance));

        Assert.Equal(ControlSocketProblem.NotASocket, e.Problem);
        Assert.Contains("is a directory, not a socket", e.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(path));
    }

    [Fact]
    public void ASymbolicLinkAtThePathIsNeitherFollowedNorRemoved()
    {
        var target = _dir.File("target.sock");
        var dangling = _dir.File("c.sock");
        File.CreateSymbolicLink(dangling, target);
        var aimed = _dir.File("d.sock");
        var file = _dir.File("file");
        File.WriteAllText(file, "precious");
        File.CreateSymbolicLink(aimed, file);

        var e = Assert.Throws<ControlSocketException>(() => new ControlServer(dangling, new EchoHandler(), NullLogger.Instance));
        Assert.Equal(ControlSocketProblem.SymbolicLink, e.Problem);
        Assert.Contains("is a symbolic link", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(target), "nothing was created where the link points");
        Assert.Equal(target, new FileInfo(dangling).LinkTarget);

        var e2 = Assert.Throws<ControlSocketException>(() => new ControlServer(aimed, new EchoHandler(), NullLogger.Instance));
        Assert.Equal(ControlSocketProblem.SymbolicLink, e2.Problem);
        Assert.Equal("precious", File.ReadAllText(file));
        Assert.Equal(file, new FileInfo(aimed).LinkTarget);
    }

    [Fact]
    public async Task AStaleSocketIsReplaced()
    {
        var path = _dir.File("c.sock");
        StaleSocket.Create(path);
        Assert.True(UnixFileStatus.TryRead(path, out var stale, out _));
        Assert.True(stale.IsSocket);

        using var server = new ControlServer(path, new EchoHandler(), NullLogger.Instance);
        server.Start();

        Assert.True(UnixFileStatus.TryRead(path, out var now, out _));
        Assert.True(now.IsSocket);
        Assert.False(now.SameFileAs(stale), "the stale socket was replaced by a new one");
        var r = await ControlClient.SendAsync(path, new ControlRequest { Command = "status" }, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal("echo status", r.Message);
    }

    [Fact]
    public async Task ALiveSocketIsRefusedAndKeepsWorking()
    {
        var path = _dir.File("c.sock");
        using var first = new ControlServer(path, new EchoHandler(), NullLogger.Instance);
        first.Start();

        var e = Assert.Throws<ControlSocketException>(() => new ControlServer(path, new EchoHandler(), NullLogger.Instance));

        Assert.Equal(ControlSocketProblem.InUse, e.Problem);
        Assert.Contains($"another hipnat daemon is already listening on control socket '{path}'", e.Message, StringComparison.Ordinal);
        var r = await ControlClient.SendAsync(path, new ControlRequest { Command = "status" }, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.True(r.Ok);
    }

    [Fact]
    public void TheSocketNeverShowsAnotherModeThan0600()
    {
        var path = _dir.File("c.sock");
        var atBind = CreateAndCheck(path, new ControlServerOptions(), ControlServer.PrivateMode, NativeMethods.GetEffectiveGroupId());

        // At bind(2) the socket file exists under another name only, and already no wider than 0600.
        Assert.False(atBind.PathExisted, "the control socket path appears only once the socket is complete");
        Assert.NotEqual(path, atBind.TempPath);
        Assert.Equal(0u, atBind.Status.Permissions & ~ControlServer.PrivateMode);
        Assert.False(File.Exists(atBind.TempPath), "the temporary name is gone");
        Assert.False(File.Exists(path), "the socket is removed when the server stops");
    }

    [Fact]
    public void WithAControlGroupTheSocketIs0660AndTheGroupsFromTheStart()
    {
        Assert.SkipUnless(NativeSignals.IsRoot, "giving a file to an arbitrary group needs root; CI runs as root");
        var path = _dir.File("c.sock");
        StaleSocket.Create(path);
        Assert.True(UnixFileStatus.TryRead(path, out var stale, out _));

        var atBind = CreateAndCheck(path, new ControlServerOptions { Access = new ControlAccessPolicy(0, TestGroup, "test") }, ControlServer.GroupMode, TestGroup);

        Assert.True(atBind.PathExisted);
        Assert.True(atBind.AtPath.SameFileAs(stale), "until the rename the path still holds the stale socket");
        Assert.Equal(0u, atBind.Status.Permissions & ~ControlServer.GroupMode);
    }

    [Fact]
    public async Task AnotherUserIsRefusedEvenWhenTheFileModeLetsItConnect()
    {
        Assert.SkipUnless(CanSwitchUsers, "running a client as another user needs root and setpriv (util-linux); CI runs as root");
        var path = _dir.File("c.sock");
        var handler = new EchoHandler();
        var refused = new List<string>();
        using var server = new ControlServer(path, handler, NullLogger.Instance, new ControlServerOptions { Refused = r => { lock (refused) { refused.Add(r); } } });
        server.Start();
        OpenToEveryone(path);

        var result = await RunAsNobodyAsync(["--clear-groups"], path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"hipnat status: permission denied: uid {Nobody} (gid {Nobody}, pid ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("may not use this control socket; allowed: root (the daemon's user)", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(handler.Requests);
        Assert.Equal(1, server.Refused(ControlServer.NotAllowed));
        Assert.Equal([ControlServer.NotAllowed], refused);

        // Root (the daemon's user here) is still served.
        var r = await ControlClient.SendAsync(path, new ControlRequest { Command = "status" }, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal("echo status", r.Message);
    }

    [Fact]
    public async Task MembersOfTheControlGroupAreServedAndOthersCannotConnect()
    {
        Assert.SkipUnless(CanSwitchUsers, "running a client as another user needs root and setpriv (util-linux); CI runs as root");
        var path = _dir.File("c.sock");
        var handler = new EchoHandler();
        using var server = new ControlServer(path, handler, NullLogger.Instance,
            new ControlServerOptions { Access = new ControlAccessPolicy(0, TestGroup, "test") });
        server.Start();
        File.SetUnixFileMode(_dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

        // A supplementary group (SO_PEERGROUPS) is enough.
        var member = await RunAsNobodyAsync([$"--groups={TestGroup}"], path);
        Assert.Contains("hipnat status: the daemon sent no status", member.Stderr, StringComparison.Ordinal);
        Assert.Single(handler.Requests);

        // Without the group the socket's mode (0660) stops the client before the daemon sees it.
        var outsider = await RunAsNobodyAsync(["--clear-groups"], path);
        Assert.Equal(3, outsider.ExitCode);
        Assert.Contains($"permission denied on control socket '{path}'", outsider.Stderr, StringComparison.Ordinal);
        Assert.Single(handler.Requests);
        Assert.Equal(0, server.Refused(ControlServer.NotAllowed));
    }

    [Fact]
    public async Task ConnectionsBeyondTheCapAreRefusedUntilOneCloses()
    {
        var path = _dir.File("c.sock");
        var ct = TestContext.Current.CancellationToken;
        using var server = new ControlServer(path, new EchoHandler(), NullLogger.Instance,
            new ControlServerOptions { MaxConnections = 2, RequestTimeout = TimeSpan.FromSeconds(30) });
        server.Start();
        var held = new List<Socket>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                held.Add(s);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
            }

            await WaitUntilAsync(() => server.ActiveConnections == 2);
            var third = await ControlClient.SendAsync(path, new ControlRequest { Command = "status" }, TimeSpan.FromSeconds(5), ct);
            Assert.False(third.Ok);
            Assert.Equal("too many control connections: 2 are open; try again when one has finished", third.Error);
            Assert.Equal(1, server.Refused(ControlServer.Busy));

            held[0].Dispose();
            await WaitUntilAsync(() => server.ActiveConnections == 1);
            var fourth = await ControlClient.SendAsync(path, new ControlRequest { Command = "status" }, TimeSpan.FromSeconds(5), ct);
            Assert.Equal("echo status", fourth.Message);
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task AClientThatDoesNotFinishItsRequestInTimeIsClosed()
    {
        var path = _dir.File("c.sock");
        var ct = TestContext.Current.CancellationToken;
        using var server = new ControlServer(path, new EchoHandler(), NullLogger.Instance,
            new ControlServerOptions { RequestTimeout = TimeSpan.FromMilliseconds(400) });
        server.Start();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.UTF8);

        // One whole request is answered; then a byte every 100 ms never makes a line: the clock is per request.
        await stream.WriteAsync("{\"command\":\"status\"}\n"u8.ToArray(), ct);
        Assert.Equal("{\"ok\":true,\"message\":\"echo status\"}", await reader.ReadLineAsync(ct));
        var started = DateTime.UtcNow;
        var dribble = Task.Run(async () =>
        {
            try
            {
                foreach (var b in "{\"command\":\"sta"u8.ToArray())
                {
                    await stream.WriteAsync(new[] { b }, ct);
                    await Task.Delay(100, ct);
                }
            }
            catch (IOException)
            {
                // Closed by the server, as it should be.
            }
        }, ct);

        var line = await reader.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
        var elapsed = DateTime.UtcNow - started;
        Assert.Equal("{\"ok\":false,\"error\":\"no complete request within 0.4 s; closing the connection\"}", line);
        await AssertClosedAsync(reader);
        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5));
        Assert.Equal(1, server.Refused(ControlServer.Idle));
        await dribble;
        await WaitUntilAsync(() => server.ActiveConnections == 0);
    }

    [Fact]
    public async Task AnOverlongRequestIsRefused()
    {
        var path = _dir.File("c.sock");
        var ct = TestContext.Current.CancellationToken;
        using var server = new ControlServer(path, new EchoHandler(), NullLogger.Instance);
        server.Start();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.UTF8);

        try
        {
            await stream.WriteAsync(Enumerable.Repeat((byte)'x', ControlServer.MaxLineLength + 8192).ToArray(), ct);
        }
        catch (IOException)
        {
            // The server may close before taking all of it.
        }

        Assert.Equal($"{{\"ok\":false,\"error\":\"request longer than {ControlServer.MaxLineLength} bytes\"}}", await reader.ReadLineAsync(ct));
        Assert.Equal(1, server.Refused(ControlServer.TooLong));
    }

    [Fact]
    public void TheDefaultDirectoryIsCreatedWithExactlyItsMode()
    {
        var dir = Path.Combine(_dir.Path, "state", "hipnat");
        ControlSocketPath.PrepareDirectory(dir, ControlSocketPath.PrivateDirectoryMode);

        Assert.True(UnixFileStatus.TryRead(dir, out var s, out _));
        Assert.True(s.IsDirectory);
        Assert.Equal(0x1C0u, s.Permissions);

        ControlSocketPath.PrepareDirectory(dir, ControlSocketPath.PrivateDirectoryMode); // an existing safe one is fine
    }

    [Fact]
    public void AnUnsafeDefaultDirectoryIsRefused()
    {
        var writable = Path.Combine(_dir.Path, "writable");
        Directory.CreateDirectory(writable);
        File.SetUnixFileMode(writable, (UnixFileMode)0x1F8); // 0770
        var e = Assert.Throws<ControlSocketException>(() => ControlSocketPath.PrepareDirectory(writable, ControlSocketPath.PrivateDirectoryMode));
        Assert.Equal(ControlSocketProblem.UnsafeDirectory, e.Problem);
        Assert.Contains("is writable by group or others (mode 770)", e.Message, StringComparison.Ordinal);

        var link = Path.Combine(_dir.Path, "link");
        var real = Path.Combine(_dir.Path, "real");
        Directory.CreateDirectory(real);
        Directory.CreateSymbolicLink(link, real);
        var e2 = Assert.Throws<ControlSocketException>(() => ControlSocketPath.PrepareDirectory(link, ControlSocketPath.PrivateDirectoryMode));
        Assert.Equal(ControlSocketProblem.UnsafeDirectory, e2.Problem);
        Assert.Contains("is a symbolic link, not a directory", e2.Message, StringComparison.Ordinal);

        if (NativeSignals.IsRoot)
        {
            var foreign = Path.Combine(_dir.Path, "foreign");
            Directory.CreateDirectory(foreign);
            Assert.Equal(0, NativeMethods.ChangeOwner(foreign, Nobody, Nobody));
            var e3 = Assert.Throws<ControlSocketException>(() => ControlSocketPath.PrepareDirectory(foreign, ControlSocketPath.PrivateDirectoryMode));
            Assert.Contains($"belongs to uid {Nobody}, not to this daemon's user", e3.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheDefaultPathIsNeverInASharedDirectory()
    {
        var path = ControlSocketPath.Default();
        Assert.Equal(Path.Combine(ControlSocketPath.DefaultDirectory(), "hipnat.sock"), path);
        Assert.EndsWith("/hipnat/hipnat.sock", path, StringComparison.Ordinal);
        Assert.False(path.StartsWith("/tmp/", StringComparison.Ordinal), path);
        if (NativeSignals.IsRoot)
        {
            Assert.Equal("/run/hipnat/hipnat.sock", path);
            Assert.Equal(0x1EDu, ControlSocketPath.DefaultDirectoryMode());
        }
    }

    [Fact]
    public async Task AGroupMemberWithoutADaemonOfItsOwnFindsTheSystemDaemon()
    {
        Assert.SkipUnless(CanSwitchUsers, "running a client as another user needs root and setpriv (util-linux); CI runs as root");
        Assert.SkipWhen(File.Exists(ControlSocketPath.SystemPath) || Directory.Exists(ControlSocketPath.SystemPath),
            $"{ControlSocketPath.SystemPath} is in use on this machine");
        Assert.Equal("/x.sock", ControlSocketPath.ForClient("/x.sock"));
        bool createdDirectory = !Directory.Exists(ControlSocketPath.SystemDirectory);
        ControlSocketPath.PrepareDirectory(ControlSocketPath.SystemDirectory, ControlSocketPath.SystemDirectoryMode);
        try
        {
            var handler = new EchoHandler();
            using (var server = new ControlServer(ControlSocketPath.SystemPath, handler, NullLogger.Instance,
                new ControlServerOptions { Access = new ControlAccessPolicy(0, TestGroup, "test") }))
            {
                server.Start();
                Assert.Equal(ControlSocketPath.SystemPath, ControlSocketPath.ForClient(null));

                // No XDG_RUNTIME_DIR and a home that does not exist: `hipnat status` without --control asks the system daemon.
                using var p = new ChildProcess("setpriv",
                    [$"--reuid={Nobody}", $"--regid={Nobody}", $"--groups={TestGroup}", "env", "-u", "XDG_RUNTIME_DIR", "-u", "XDG_STATE_HOME",
                     "HOME=/nonexistent", "dotnet", HipnatBinary.Dll, "status"]);
                Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(60)), p.Output);
                Assert.Contains("hipnat status: the daemon sent no status", p.Stderr, StringComparison.Ordinal);
                Assert.Single(handler.Requests);
            }
        }
        finally
        {
            if (createdDirectory)
            {
                Directory.Delete(ControlSocketPath.SystemDirectory);
            }
        }
    }

    [Fact]
    public void TheControlGroupIsResolvedAndCheckedAtStartUp()
    {
        Assert.Equal((0u, "root"), ControlAccessPolicy.ResolveGroup("root"));
        Assert.Equal((0u, "root"), ControlAccessPolicy.ResolveGroup("0"));
        var e = Assert.Throws<ConfigException>(() => ControlAccessPolicy.ForThisProcess("no-such-group-x"));
        Assert.Equal("--control-group / config controlGroup 'no-such-group-x': no such group; create it (groupadd no-such-group-x) or give an existing group's name or gid", e.Message);

        var policy = new ControlAccessPolicy(1000, TestGroup, "test");
        Assert.True(policy.Allows(new PeerCredentials(1, 0, 0, [])));
        Assert.True(policy.Allows(new PeerCredentials(1, 1000, 1000, [])));
        Assert.True(policy.Allows(new PeerCredentials(1, 1001, TestGroup, [])));
        Assert.True(policy.Allows(new PeerCredentials(1, 1001, 1001, [27, TestGroup])));
        Assert.False(policy.Allows(new PeerCredentials(1, 1001, 1001, [27])));
        Assert.False(new ControlAccessPolicy(1000).Allows(new PeerCredentials(1, 1001, TestGroup, [TestGroup])));
    }

    [Fact]
    public void TheControlGroupComesFromTheConfigFileOrTheFlag()
    {
        var settings = DaemonConfigFile.Parse("{ \"controlGroup\": \"hipnat\" }", "test.json");
        Assert.Equal("hipnat", settings.ControlGroup);

        var e = Assert.Throws<ConfigException>(() => DaemonConfigFile.Parse("{ \"controlGroup\": \"-x y\" }", "test.json"));
        Assert.Contains("key controlGroup = \"-x y\": not a group name", e.Message, StringComparison.Ordinal);

        var flags = Hipnat.Cli.DaemonCommandLine.BuildSettings(new Hipnat.Cli.DaemonFlags { ControlGroup = "wheel" });
        Assert.Equal("wheel", flags.ControlGroup);
        var bad = Assert.Throws<ConfigException>(() => Hipnat.Cli.DaemonCommandLine.BuildSettings(new Hipnat.Cli.DaemonFlags { ControlGroup = "a b" }));
        Assert.StartsWith("--control-group 'a b': not a group name", bad.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Creates a server at <paramref name="path"/>, checks that its socket file has exactly <paramref name="mode"/>
    /// and group <paramref name="gid"/>, and returns what was at the temporary name and at the path right after bind(2).
    /// </summary>
    private static (string TempPath, UnixFileStatus Status, bool PathExisted, UnixFileStatus AtPath) CreateAndCheck(
        string path, ControlServerOptions options, uint mode, uint gid)
    {
        (string, UnixFileStatus, bool, UnixFileStatus)? atBind = null;
        using (var server = new ControlServer(path, new EchoHandler(), NullLogger.Instance, options with
        {
            AfterBind = temp =>
            {
                Assert.True(UnixFileStatus.TryRead(temp, out var s, out _));
                Assert.True(s.IsSocket);
                bool existed = UnixFileStatus.TryRead(path, out var atPath, out _);
                atBind = (temp, s, existed, atPath);
            },
        }))
        {
            Assert.Equal(mode, server.Mode);
            Assert.True(UnixFileStatus.TryRead(path, out var created, out _));
            Assert.True(created.IsSocket);
            Assert.Equal((mode, gid), (created.Permissions, created.Gid));
            Assert.Equal([path], Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!));
        }

        Assert.NotNull(atBind);
        return atBind.Value;
    }

    /// <summary>Lets every user reach <paramref name="socket"/> through the file system (a misconfiguration the peer check still covers).</summary>
    private void OpenToEveryone(string socket)
    {
        File.SetUnixFileMode(_dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(socket, (UnixFileMode)0x1B6); // 0666
    }

    /// <summary>`hipnat status --control PATH` as uid/gid 65534 with the given setpriv group options.</summary>
    private static async Task<ProcessResult> RunAsNobodyAsync(string[] groups, string path)
    {
        using var p = new ChildProcess("setpriv",
            [$"--reuid={Nobody}", $"--regid={Nobody}", .. groups, "dotnet", HipnatBinary.Dll, "status", "--control", path]);
        Assert.True(await p.WaitForExitAsync(TimeSpan.FromSeconds(60)), p.Output);
        return new ProcessResult(p.ExitCode, p.Stdout, p.Stderr);
    }

    /// <summary>The server closed the connection: the end of the stream, or a reset when it left unread bytes behind.</summary>
    private static async Task AssertClosedAsync(StreamReader reader)
    {
        try
        {
            Assert.Null(await reader.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }
        catch (IOException)
        {
            // ECONNRESET: the server closed with part of a request still unread.
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(10);
        }
    }

    private sealed class EchoHandler : IControlHandler
    {
        private readonly List<ControlRequest> _requests = [];

        public IReadOnlyList<ControlRequest> Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        public Task<ControlResponse> HandleAsync(ControlRequest request, CancellationToken cancellationToken)
        {
            lock (_requests)
            {
                _requests.Add(request);
            }

            return Task.FromResult(ControlResponse.Success("echo " + request.Command));
        }
    }
}
