using System.Net.Sockets;
using System.Text.Json;
using Hipnat.Runtime.Transports;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Control;

/// <summary>
/// The daemon's control socket: a Unix domain stream socket (mode 0600) speaking JSON lines: each request is one
/// JSON object on one line, answered by one JSON object on one line. A connection may carry several requests.
/// </summary>
public sealed class ControlServer : IDisposable
{
    /// <summary>Longest request line accepted.</summary>
    public const int MaxLineLength = 64 * 1024;

    private readonly IControlHandler _handler;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private Task? _acceptLoop;
    private int _disposed;

    public ControlServer(string path, IControlHandler handler, ILogger logger)
    {
        Path = path;
        _handler = handler;
        _logger = logger;
        _listener = Bind(path);
    }

    public string Path { get; }

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _listener.Dispose();
        try
        {
            _acceptLoop?.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // Already logged by the loop.
        }

        TryDelete(Path);
        _stop.Dispose();
    }

    private static Socket Bind(string path)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        try
        {
            if (dir is not null && !Directory.Exists(dir) && !OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                    UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TransportException($"cannot create the control socket directory '{dir}': {e.Message}; pass --control PATH in a writable directory");
        }

        if (File.Exists(path) || Directory.Exists(path))
        {
            if (IsLive(path))
            {
                throw new TransportException(
                    $"another hipnat daemon is already listening on control socket '{path}'; stop it or give this one its own --control PATH");
            }

            TryDelete(path); // stale socket from a daemon that did not exit cleanly
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            socket.Listen(16);
            return socket;
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            throw new TransportException($"cannot create control socket '{path}': {e.Message}; pass --control PATH in a writable directory", e);
        }
    }

    private static bool IsLive(string path)
    {
        try
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort.
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                _logger.LogWarning("control socket: accept failed: {Error}", e.SocketErrorCode);
                await Task.Delay(50);
                continue;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: true);
        var buffer = new List<byte>(256);
        var chunk = new byte[4096];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                int n = await stream.ReadAsync(chunk, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                int start = 0;
                for (int i = 0; i < n; i++)
                {
                    if (chunk[i] != (byte)'\n')
                    {
                        continue;
                    }

                    buffer.AddRange(chunk.AsSpan(start, i - start));
                    start = i + 1;
                    var line = buffer.ToArray();
                    buffer.Clear();
                    var response = await AnswerAsync(line);
                    await WriteAsync(stream, response);
                }

                buffer.AddRange(chunk.AsSpan(start, n - start));
                if (buffer.Count > MaxLineLength)
                {
                    await WriteAsync(stream, ControlResponse.Failure($"request longer than {MaxLineLength} bytes"));
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Client went away or the daemon is stopping.
        }
        catch (Exception e)
        {
            _logger.LogError(e, "control socket: unexpected failure serving a client");
        }
    }

    private async Task<ControlResponse> AnswerAsync(byte[] line)
    {
        ControlRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(line, ControlJsonContext.Default.ControlRequest);
        }
        catch (JsonException e)
        {
            return ControlResponse.Failure($"request is not valid JSON: {e.Message}");
        }

        if (request is null || string.IsNullOrEmpty(request.Command))
        {
            return ControlResponse.Failure("request has no \"command\"; expected one of status, connect, close, peers-add");
        }

        try
        {
            return await _handler.HandleAsync(request, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            return ControlResponse.Failure("the daemon is shutting down");
        }
        catch (Exception e)
        {
            _logger.LogError(e, "control request {Command} failed", request.Command);
            return ControlResponse.Failure($"internal error handling {request.Command}: {e.Message}");
        }
    }

    private static async Task WriteAsync(NetworkStream stream, ControlResponse response)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(response, ControlJsonContext.Default.ControlResponse);
        var line = new byte[bytes.Length + 1];
        bytes.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        await stream.WriteAsync(line);
    }
}
