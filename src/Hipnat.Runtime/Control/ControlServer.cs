using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Control;

/// <summary>
/// The daemon's control socket: a Unix domain stream socket speaking JSON lines: each request is one JSON object on
/// one line, answered by one JSON object on one line. A connection may carry several requests.
/// <para>
/// Local users are kept out twice: the socket file's mode (0600, or 0660 with the control group as its group) stops
/// others from connecting at all, and each accepted connection's kernel-recorded credentials (SO_PEERCRED) must be
/// root's, the daemon's user's or a member's of the control group (<see cref="ControlAccessPolicy"/>), else it is
/// answered with an error and closed. At most <see cref="ControlServerOptions.MaxConnections"/> connections are
/// served at once, each request line must arrive whole within <see cref="ControlServerOptions.RequestTimeout"/> and
/// is at most <see cref="MaxLineLength"/> bytes. Every refusal is counted (<see cref="Refused"/>) and logged, at most
/// once per <see cref="RefusalLogInterval"/> and reason.
/// </para>
/// </summary>
public sealed class ControlServer : IDisposable
{
    /// <summary>Longest request line accepted.</summary>
    public const int MaxLineLength = 64 * 1024;

    /// <summary>Refusal reasons (<see cref="Refused"/>, metric hipnat.control.refused{reason}).</summary>
    public const string NotAllowed = "not-allowed";
    public const string Busy = "busy";
    public const string Idle = "idle";
    public const string TooLong = "too-long";

    /// <summary>Mode of the socket file without a control group: only the daemon's user (and root) may connect.</summary>
    public const uint PrivateMode = 0x180; // 0600

    /// <summary>Mode of the socket file with a control group, which owns the file.</summary>
    public const uint GroupMode = 0x1B0; // 0660

    public static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(10);

    private const int Backlog = 16;

    /// <summary>Longest path a Unix socket can be bound to (sun_path less its terminating NUL).</summary>
    private const int MaxPathBytes = 107;

    private readonly IControlHandler _handler;
    private readonly ILogger _logger;
    private readonly ControlServerOptions _options;
    private readonly ControlAccessPolicy _access;
    private readonly Socket _listener;
    private readonly UnixFileStatus _socketFile;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, long> _refused = new(StringComparer.Ordinal);
    private readonly LogThrottle _refusalLog = new(RefusalLogInterval);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Task? _acceptLoop;
    private int _active;
    private int _disposed;

    public ControlServer(string path, IControlHandler handler, ILogger logger)
        : this(path, handler, logger, new ControlServerOptions())
    {
    }

    /// <summary>
    /// Creates the socket at <paramref name="path"/> (not yet accepting: <see cref="Start"/>). Throws
    /// <see cref="ControlSocketException"/> when the path holds anything but a stale socket, or another daemon
    /// answers there, or the socket cannot be created.
    /// </summary>
    public ControlServer(string path, IControlHandler handler, ILogger logger, ControlServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxConnections < 1 || options.RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxConnections and RequestTimeout must be positive");
        }

        Path = System.IO.Path.GetFullPath(path);
        _handler = handler;
        _logger = logger;
        _options = options;
        _access = options.Access ?? ControlAccessPolicy.ForThisProcess();
        Mode = _access.GroupId is null ? PrivateMode : GroupMode;
        (_listener, _socketFile) = Bind(Path, Mode, _access, logger, options.AfterBind);
    }

    public string Path { get; }

    /// <summary>The socket file's permission bits (<see cref="PrivateMode"/> or <see cref="GroupMode"/>).</summary>
    public uint Mode { get; }

    /// <summary>Connections being served now.</summary>
    public int ActiveConnections => Volatile.Read(ref _active);

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync);

    /// <summary>Connections refused so far for <paramref name="reason"/> (<see cref="NotAllowed"/>, <see cref="Busy"/>, ...).</summary>
    public long Refused(string reason) => _refused.TryGetValue(reason, out var n) ? n : 0;

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

        // Remove the socket only if it is still ours: another daemon may have replaced a socket it found stale.
        if (UnixFileStatus.TryRead(Path, out var now, out _) && now.IsSocket && now.SameFileAs(_socketFile))
        {
            _ = NativeMethods.Unlink(Path);
        }

        _stop.Dispose();
    }

    /// <summary>
    /// Creates the listening socket at <paramref name="path"/> so that the path never shows a socket with a wider
    /// mode or another group than intended, and never one that does not answer.
    /// <para>
    /// umask(2) is process-wide, so narrowing it around bind(2) would also narrow files other threads create at the
    /// same moment. Instead the socket is bound under a random temporary name in the same directory; on Linux the
    /// socket's inode mode, set with fchmod(2) before bind(2), already limits that file to <paramref name="mode"/>
    /// (less the umask), and nobody can connect to it before listen(2) anyway. Its mode is then set exactly and its
    /// group changed to the control group, it starts listening, and rename(2) moves it over
    /// <paramref name="path"/> atomically: the final path appears complete, and a stale socket found there is
    /// replaced in the same step. Anything else at the path (a file, a directory, a symbolic link, a live socket)
    /// is refused, never removed.
    /// </para>
    /// </summary>
    private static (Socket Socket, UnixFileStatus File) Bind(string path, uint mode, ControlAccessPolicy access, ILogger logger, Action<string>? afterBind)
    {
        var dir = System.IO.Path.GetDirectoryName(path)
            ?? throw new ControlSocketException(ControlSocketProblem.CannotCreate, $"control socket path '{path}' has no directory");
        ControlSocketPath.CreateIfMissing(dir, ControlSocketPath.SystemDirectoryMode);
        CheckExisting(path, logger);

        var temp = System.IO.Path.Combine(dir, "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) + ".sock");
        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes || Encoding.UTF8.GetByteCount(temp) > MaxPathBytes)
        {
            throw new ControlSocketException(ControlSocketProblem.CannotCreate,
                $"control socket path '{path}' is too long for a Unix socket (at most {MaxPathBytes} bytes, and its directory at most " +
                $"{MaxPathBytes - (temp.Length - dir.Length)}); pass a shorter --control PATH");
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bool bound = false;
        try
        {
            // Best effort: where fchmod on a socket does not set the file's mode, the chmod below still does before listen.
            _ = NativeMethods.ChangeModeOfDescriptor(socket.Handle, mode);
            socket.Bind(new UnixDomainSocketEndPoint(temp));
            bound = true;
            afterBind?.Invoke(temp);
            Check(NativeMethods.ChangeMode(temp, mode), $"cannot set the mode of the control socket '{path}'");
            if (access.GroupId is { } gid)
            {
                Check(NativeMethods.ChangeOwner(temp, uint.MaxValue, gid),
                    $"cannot give the control socket '{path}' to group {access.GroupName} (--control-group / config controlGroup); the daemon must run as root or as a member of that group");
            }

            socket.Listen(Backlog);
            Check(NativeMethods.Rename(temp, path), $"cannot create the control socket '{path}'");
            bound = false;
            if (!UnixFileStatus.TryRead(path, out var created, out int error))
            {
                throw new ControlSocketException(ControlSocketProblem.CannotCreate,
                    $"the control socket '{path}' vanished after it was created: {ControlSocketPath.Describe(error)}");
            }

            return (socket, created);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ControlSocketException(ControlSocketProblem.CannotCreate,
                $"cannot create control socket '{path}': {e.Message}; pass --control PATH in a writable directory", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        finally
        {
            if (bound)
            {
                _ = NativeMethods.Unlink(temp);
            }
        }
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            throw new ControlSocketException(ControlSocketProblem.CannotCreate, $"{what}: {ControlSocketPath.Describe(error)}");
        }
    }

    /// <summary>Refuses anything at <paramref name="path"/> but a socket nobody answers on (which is then replaced).</summary>
    private static void CheckExisting(string path, ILogger logger)
    {
        if (!UnixFileStatus.TryRead(path, out var status, out int error))
        {
            if (error == NativeMethods.ENoEnt)
            {
                return;
            }

            throw new ControlSocketException(ControlSocketProblem.CannotCreate,
                $"cannot check control socket path '{path}': {ControlSocketPath.Describe(error)}; pass --control PATH in a directory of yours");
        }

        if (status.IsSymbolicLink)
        {
            throw new ControlSocketException(ControlSocketProblem.SymbolicLink,
                $"control socket path '{path}' is a symbolic link; hipnat neither follows nor removes it: remove it yourself or pass another --control PATH");
        }

        if (!status.IsSocket)
        {
            throw new ControlSocketException(ControlSocketProblem.NotASocket,
                $"control socket path '{path}' is {status.TypeName}, not a socket; hipnat does not remove it: move it away or pass another --control PATH");
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            logger.LogInformation("control socket {Path}: nobody listens on it (left by a daemon that did not stop cleanly); replacing it", path);
            return;
        }
        catch (SocketException e)
        {
            throw new ControlSocketException(ControlSocketProblem.CannotCreate,
                $"cannot tell whether a daemon listens on control socket '{path}' ({e.Message}); remove it if it is stale, or pass another --control PATH", e);
        }

        throw new ControlSocketException(ControlSocketProblem.InUse,
            $"another hipnat daemon is already listening on control socket '{path}'; stop it or give this one its own --control PATH");
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

            try
            {
                Admit(client);
            }
            catch (Exception e)
            {
                client.Dispose();
                _logger.LogError(e, "control socket: unexpected failure admitting a client");
            }
        }
    }

    /// <summary>Checks who connected and whether there is room; serves the connection or refuses it.</summary>
    private void Admit(Socket client)
    {
        var peer = PeerCredentials.Read(client);
        if (peer is null || !_access.Allows(peer))
        {
            var who = peer is null ? "a peer whose credentials the kernel did not report" : $"uid {peer.UserId} (gid {peer.GroupId}, pid {peer.ProcessId})";
            Refuse(client, NotAllowed,
                $"permission denied: {who} may not use this control socket; allowed: {_access.Describe()}. " +
                "Run the command as root or as the daemon's user" + (_access.GroupId is null ? string.Empty : $", or join group {_access.GroupName}"),
                LogLevel.Warning);
            return;
        }

        if (Interlocked.Increment(ref _active) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _active);
            Refuse(client, Busy,
                $"too many control connections: {_options.MaxConnections} are open; try again when one has finished",
                LogLevel.Warning);
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await ServeAsync(client);
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }
        });
    }

    /// <summary>Counts and logs a refusal, sends <paramref name="message"/> without waiting and closes the connection.</summary>
    private void Refuse(Socket client, string reason, string message, LogLevel level)
    {
        Count(reason, message, level);
        try
        {
            // Never block the accept loop on a peer: one small line fits any socket buffer, or is lost.
            client.Blocking = false;
            client.Send(Line(ControlResponse.Failure(message)), SocketFlags.None, out _);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer is gone.
        }
        finally
        {
            client.Dispose();
        }
    }

    private void Count(string reason, string message, LogLevel level)
    {
        _refused.AddOrUpdate(reason, 1, (_, n) => n + 1);
        _options.Refused?.Invoke(reason);
        if (_refusalLog.ShouldLog(reason, _clock.Elapsed, out long suppressed))
        {
            _logger.Log(level, "control socket: refused a connection ({Reason}): {Message}{Suppressed}", reason, message,
                suppressed > 0 ? $" ({suppressed.ToString(CultureInfo.InvariantCulture)} more refused for this reason since the last such line)" : string.Empty);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: true);
        var pending = new List<byte>(256);
        var chunk = new byte[4096];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                byte[]? line;
                using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
                {
                    deadline.CancelAfter(_options.RequestTimeout);
                    try
                    {
                        line = await ReadLineAsync(stream, pending, chunk, deadline.Token);
                    }
                    catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                    {
                        var idle = $"no complete request within {_options.RequestTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s; closing the connection";
                        Count(Idle, idle, LogLevel.Information);
                        await WriteAsync(stream, ControlResponse.Failure(idle));
                        return;
                    }
                }

                if (line is null)
                {
                    return; // the client closed the connection
                }

                if (line.Length > MaxLineLength)
                {
                    var tooLong = $"request longer than {MaxLineLength} bytes";
                    Count(TooLong, tooLong, LogLevel.Warning);
                    await WriteAsync(stream, ControlResponse.Failure(tooLong));
                    return;
                }

                var response = await AnswerAsync(line);
                await WriteAsync(stream, response);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Client went away, did not read its reply in time, or the daemon is stopping.
        }
        catch (Exception e)
        {
            _logger.LogError(e, "control socket: unexpected failure serving a client");
        }
    }

    /// <summary>
    /// The next line (without its newline) from <paramref name="pending"/> and then the stream; null at the end of the
    /// stream; a line longer than <see cref="MaxLineLength"/> as soon as that many bytes came without a newline.
    /// </summary>
    private static async Task<byte[]?> ReadLineAsync(NetworkStream stream, List<byte> pending, byte[] chunk, CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = pending.GetRange(0, newline).ToArray();
                pending.RemoveRange(0, newline + 1);
                return line;
            }

            if (pending.Count > MaxLineLength)
            {
                return [.. pending];
            }

            int n = await stream.ReadAsync(chunk, cancellationToken);
            if (n == 0)
            {
                return null;
            }

            pending.AddRange(chunk.AsSpan(0, n));
        }
    }

    private async Task<ControlResponse> AnswerAsync(byte[] line)
    {
        if (!ControlRequestReader.TryRead(line, out var request, out var error))
        {
            return ControlResponse.Failure(error);
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

    /// <summary>Writes one reply; a client that does not take it within the request timeout is dropped.</summary>
    private async Task WriteAsync(NetworkStream stream, ControlResponse response)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(_options.RequestTimeout);
        await stream.WriteAsync(Line(response), deadline.Token);
    }

    private static byte[] Line(ControlResponse response)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(response, ControlJsonContext.Default.ControlResponse);
        var line = new byte[bytes.Length + 1];
        bytes.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }
}
