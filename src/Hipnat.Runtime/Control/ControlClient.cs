using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Hipnat.Runtime.Control;

/// <summary>Sends one request to the daemon's control socket and reads the reply.</summary>
public static class ControlClient
{
    /// <summary>
    /// Sends <paramref name="request"/> to the daemon at <paramref name="path"/>. Throws
    /// <see cref="ControlUnavailableException"/> when no daemon answers and <see cref="TimeoutException"/> when it
    /// does not reply within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<ControlResponse> SendAsync(string path, ControlRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cts.Token);
        }
        catch (SocketException e)
        {
            throw new ControlUnavailableException(Unreachable(path, e), e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the daemon at '{path}' did not accept the connection within {timeout.TotalSeconds:0.#} s");
        }

        using var stream = new NetworkStream(socket, ownsSocket: false);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(request, ControlJsonContext.Default.ControlRequest);
        try
        {
            try
            {
                await stream.WriteAsync((byte[])[.. bytes, (byte)'\n'], cts.Token);
            }
            catch (IOException)
            {
                // The daemon may have refused the connection (not allowed, too many connections) with a reply and
                // closed it before the request went out: read that reply below rather than report a broken pipe.
            }

            using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
            var line = await reader.ReadLineAsync(cts.Token);
            if (line is null)
            {
                throw new ControlUnavailableException($"the daemon at '{path}' closed the connection without replying; check its log");
            }

            return JsonSerializer.Deserialize(line, ControlJsonContext.Default.ControlResponse)
                ?? throw new ControlUnavailableException($"the daemon at '{path}' sent an empty reply");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the daemon at '{path}' did not reply within {timeout.TotalSeconds:0.#} s");
        }
        catch (JsonException e)
        {
            throw new ControlUnavailableException($"the daemon at '{path}' sent a reply that is not valid JSON: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new ControlUnavailableException($"the connection to the daemon at '{path}' failed: {e.Message}", e);
        }
    }

    private static string Unreachable(string path, SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported when !File.Exists(path) =>
            $"no hipnat daemon at control socket '{path}' (no such file); start one with `hipnat run`, or pass the daemon's --control PATH",
        _ when !File.Exists(path) =>
            $"no hipnat daemon at control socket '{path}' (no such file); start one with `hipnat run`, or pass the daemon's --control PATH",
        SocketError.ConnectionRefused =>
            $"no hipnat daemon is listening on control socket '{path}' (connection refused; a stale socket?); start one with `hipnat run`",
        SocketError.AccessDenied =>
            $"permission denied on control socket '{path}'; run this command as root or as the daemon's user (e.g. with sudo), or as a member of the daemon's --control-group",
        _ => $"cannot reach the hipnat daemon at control socket '{path}': {e.Message}",
    };
}
