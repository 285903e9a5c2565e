using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>The control socket: JSON lines in, JSON lines out, over a Unix domain socket.</summary>
public sealed class ControlProtocolTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RequestAndResponseRoundTrip()
    {
        var handler = new RecordingHandler();
        var path = _dir.File("c.sock");
        using (var server = new ControlServer(path, handler, NullLogger.Instance))
        {
            server.Start();
            var request = new ControlRequest { Command = ControlRequest.PeersAdd, Hit = "2001:20::1", TimeoutSeconds = 2.5, Locators = ["192.0.2.1:10500", "hip://192.0.2.2"] };
            var response = await ControlClient.SendAsync(path, request, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

            Assert.True(response.Ok);
            Assert.Equal("echo peers-add", response.Message);
            var seen = Assert.Single(handler.Requests);
            Assert.Equal("peers-add", seen.Command);
            Assert.Equal("2001:20::1", seen.Hit);
            Assert.Equal(2.5, seen.TimeoutSeconds);
            Assert.Equal(["192.0.2.1:10500", "hip://192.0.2.2"], seen.Locators);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.False(File.Exists(path), "the socket file is removed when the server stops");
    }

    [Fact]
    public async Task TheWireFormatIsOneCamelCaseJsonObjectPerLine()
    {
        var path = _dir.File("c.sock");
        using var server = new ControlServer(path, new RecordingHandler(), NullLogger.Instance);
        server.Start();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), TestContext.Current.CancellationToken);
        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.UTF8);

        // Two requests in one write, then garbage, on one connection.
        await stream.WriteAsync(Encoding.UTF8.GetBytes("{\"command\":\"status\"}\n{\"command\":\"close\",\"hit\":\"2001:20::1\"}\nnot json\n{}\n"), TestContext.Current.CancellationToken);
        var first = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
        var second = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
        var third = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
        var fourth = await reader.ReadLineAsync(TestContext.Current.CancellationToken);

        Assert.Equal("{\"ok\":true,\"message\":\"echo status\"}", first);
        Assert.Equal("{\"ok\":true,\"message\":\"echo close\"}", second);
        using (var doc = JsonDocument.Parse(third!))
        {
            Assert.False(doc.RootElement.GetProperty("ok").GetBoolean());
            Assert.StartsWith("request is not valid JSON", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.Contains("request has no \\u0022command\\u0022", fourth, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHandlerExceptionBecomesAnErrorReplyAndTheServerCarriesOn()
    {
        var path = _dir.File("c.sock");
        using var server = new ControlServer(path, new RecordingHandler { Throw = true }, NullLogger.Instance);
        server.Start();
        var bad = await ControlClient.SendAsync(path, new ControlRequest { Command = "status" }, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.False(bad.Ok);
        Assert.Contains("internal error handling status: boom", bad.Error, StringComparison.Ordinal);
        var again = await ControlClient.SendAsync(path, new ControlRequest { Command = "status" }, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.False(again.Ok);
    }

    [Fact]
    public void ASecondServerOnALiveSocketIsRefusedButAStaleSocketIsReplaced()
    {
        var path = _dir.File("c.sock");
        using (var first = new ControlServer(path, new RecordingHandler(), NullLogger.Instance))
        {
            first.Start();
            var e = Assert.Throws<ControlSocketException>(() => new ControlServer(path, new RecordingHandler(), NullLogger.Instance));
            Assert.Contains($"another hipnat daemon is already listening on control socket '{path}'", e.Message, StringComparison.Ordinal);
        }

        // A socket left by a killed daemon, with nobody listening.
        StaleSocket.Create(path);
        using var replacement = new ControlServer(path, new RecordingHandler(), NullLogger.Instance);
        replacement.Start();
    }

    [Fact]
    public async Task ClientErrorsSayWhatToDo()
    {
        var missing = await Assert.ThrowsAsync<ControlUnavailableException>(() =>
            ControlClient.SendAsync(_dir.File("none.sock"), new ControlRequest { Command = "status" }, TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken));
        Assert.Contains("no such file", missing.Message, StringComparison.Ordinal);
        Assert.Contains("hipnat run", missing.Message, StringComparison.Ordinal);

        var path = _dir.File("silent.sock");
        using var silent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        silent.Bind(new UnixDomainSocketEndPoint(path));
        silent.Listen(1);
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() =>
            ControlClient.SendAsync(path, new ControlRequest { Command = "status" }, TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken));
        Assert.Contains("did not reply within", timeout.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultPathFollowsTheDocumentedRules()
    {
        var path = ControlSocketPath.Default();
        if (NativeSignals.IsRoot)
        {
            Assert.Equal("/run/hipnat/hipnat.sock", path);
        }
        else
        {
            Assert.EndsWith(".sock", path, StringComparison.Ordinal);
        }

        Assert.Equal("/x.sock", ControlSocketPath.Resolve("/x.sock"));
        Assert.Equal(path, ControlSocketPath.Resolve(null));
    }

    private sealed class RecordingHandler : IControlHandler
    {
        public List<ControlRequest> Requests { get; } = [];

        public bool Throw { get; init; }

        public Task<ControlResponse> HandleAsync(ControlRequest request, CancellationToken cancellationToken)
        {
            if (Throw)
            {
                throw new InvalidOperationException("boom");
            }

            lock (Requests)
            {
                Requests.Add(request);
            }

            return Task.FromResult(ControlResponse.Success("echo " + request.Command));
        }
    }
}
