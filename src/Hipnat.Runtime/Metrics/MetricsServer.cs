using System.Net;
using System.Net.Sockets;
using System.Text;
using Hipnat.Runtime.Transports;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Metrics;

/// <summary>
/// A minimal HTTP/1.1 server for Prometheus: <c>GET /metrics</c> (and HEAD) answers the text exposition format;
/// anything else gets 404, 405 or 400. One request per connection (Connection: close), requests larger than 8 KiB
/// or slower than 5 s are cut off, and at most 8 connections are served at once. No ASP.NET.
/// </summary>
public sealed class MetricsServer : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private const int MaxRequestBytes = 8192;
    private const int MaxConcurrent = 8;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener;
    private readonly Func<CancellationToken, Task<string>> _render;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slots = new(MaxConcurrent, MaxConcurrent);
    private Task? _acceptLoop;
    private int _disposed;

    /// <summary>Binds <paramref name="endpoint"/>; throws <see cref="TransportException"/> when it cannot.</summary>
    public MetricsServer(IPEndPoint endpoint, Func<CancellationToken, Task<string>> render, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _render = render;
        _logger = logger;
        _listener = new TcpListener(endpoint);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _listener.Server.DualMode = false;
            }

            _listener.Start(16);
        }
        catch (SocketException e)
        {
            _listener.Server.Dispose();
            throw new TransportException(e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => $"cannot serve metrics on {Format(endpoint)}: the port is already in use; choose another --metrics port",
                SocketError.AddressNotAvailable => $"cannot serve metrics on {Format(endpoint)}: the address is not assigned to this host; use 127.0.0.1 or one of its addresses",
                SocketError.AccessDenied => $"cannot serve metrics on {Format(endpoint)}: permission denied; ports below 1024 need root",
                _ => $"cannot serve metrics on {Format(endpoint)}: {e.Message}",
            }, e);
        }

        LocalEndpoint = (IPEndPoint)_listener.LocalEndpoint;
    }

    public IPEndPoint LocalEndpoint { get; }

    /// <summary>"http://ADDR:PORT/metrics".</summary>
    public string Url => $"http://{Format(LocalEndpoint)}/metrics";

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _listener.Stop();
        try
        {
            _acceptLoop?.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // The loop logs its own failures.
        }

        _stop.Dispose();
    }

    private static string Format(IPEndPoint e) =>
        e.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{e.Address}]:{e.Port}" : $"{e.Address}:{e.Port}";

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
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

                _logger.LogDebug("metrics: accept failed: {Error}", e.SocketErrorCode);
                await Task.Delay(50);
                continue;
            }

            if (!_slots.Wait(0))
            {
                client.Dispose(); // too many at once: a scraper retries
                continue;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(client);
                }
                finally
                {
                    _slots.Release();
                }
            });
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: true);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            var head = await ReadHeadAsync(stream, timeout.Token);
            if (head is null)
            {
                await RespondAsync(stream, 400, "Bad Request", "text/plain; charset=utf-8", "bad request\n", includeBody: true, timeout.Token);
                return;
            }

            var parts = head.Split(' ');
            if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            {
                await RespondAsync(stream, 400, "Bad Request", "text/plain; charset=utf-8", "bad request line\n", includeBody: true, timeout.Token);
                return;
            }

            string method = parts[0];
            string path = parts[1];
            int query = path.IndexOf('?', StringComparison.Ordinal);
            if (query >= 0)
            {
                path = path[..query];
            }

            if (path != "/metrics")
            {
                await RespondAsync(stream, 404, "Not Found", "text/plain; charset=utf-8", "not found; metrics are at /metrics\n", method != "HEAD", timeout.Token);
                return;
            }

            if (method is not ("GET" or "HEAD"))
            {
                await RespondAsync(stream, 405, "Method Not Allowed", "text/plain; charset=utf-8", "use GET\n", includeBody: true, timeout.Token, "Allow: GET, HEAD\r\n");
                return;
            }

            string body = await _render(timeout.Token);
            await RespondAsync(stream, 200, "OK", ContentType, body, method == "GET", timeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Client went away, was too slow, or the daemon is stopping.
        }
        catch (Exception e)
        {
            _logger.LogError(e, "metrics: unexpected failure serving a request");
        }
    }

    /// <summary>Reads up to the blank line that ends the request head; returns the request line, or null if it is malformed or too long.</summary>
    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (n == 0)
            {
                return null;
            }

            filled += n;
            int end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                end = buffer.AsSpan(0, filled).IndexOf("\n\n"u8);
            }

            if (end >= 0)
            {
                int lineEnd = buffer.AsSpan(0, filled).IndexOf((byte)'\n');
                return Encoding.ASCII.GetString(buffer, 0, lineEnd).TrimEnd('\r');
            }
        }

        return null;
    }

    private static async Task RespondAsync(
        NetworkStream stream, int code, string reason, string contentType, string body, bool includeBody, CancellationToken cancellationToken, string extraHeaders = "")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {code} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\n{extraHeaders}Connection: close\r\n\r\n");
        await stream.WriteAsync(head, cancellationToken);
        if (includeBody)
        {
            await stream.WriteAsync(bytes, cancellationToken);
        }

        await stream.FlushAsync(cancellationToken);
    }
}
