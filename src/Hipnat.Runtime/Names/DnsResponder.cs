using System.Net;
using System.Net.Sockets;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Transports;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Names;

/// <summary>
/// The local DNS responder: a UDP socket and a TCP listener on each listen address (RFC 1035 §4.2, RFC 7766: a
/// resolver may retry a truncated answer over TCP), served by async loops on the thread pool — never on the daemon's
/// driver thread. Each query is handled by a <see cref="DnsQueryHandler"/>.
/// </summary>
public sealed class DnsResponder : IDisposable
{
    /// <summary>Queries handled at once; more are dropped (<see cref="DnsResponderDrop.Busy"/>) until some finish.</summary>
    public const int MaxInFlight = 256;

    /// <summary>TCP connections served at once (RFC 7766 §6.2.2: a server limits them); more are closed at once.</summary>
    public const int MaxTcpConnections = 32;

    /// <summary>A TCP connection idle this long is closed (RFC 7766 §6.2.3 suggests seconds).</summary>
    public static readonly TimeSpan TcpIdleTimeout = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<IPEndPoint> _listen;
    private readonly DnsUpstreamForwarder _forwarder;
    private readonly DnsQueryHandler _handler;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _udp = [];
    private readonly List<Socket> _tcp = [];
    private readonly List<Task> _loops = [];
    private int _inFlight;
    private int _tcpConnections;

    public DnsResponder(IReadOnlyList<IPEndPoint> listen, IReadOnlyList<IPEndPoint> upstream, TimeSpan timeout, IPeerNames peers, ILogger logger, Func<TimeSpan> clock)
    {
        ArgumentNullException.ThrowIfNull(listen);
        _listen = listen;
        _logger = logger;
        _forwarder = new DnsUpstreamForwarder(upstream, timeout);
        _handler = new DnsQueryHandler(peers, _forwarder, logger, clock);
    }

    /// <summary>The addresses actually bound (the port filled in where 0 was asked for).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndpoints => _udp.Select(s => (IPEndPoint)s.LocalEndPoint!).ToList();

    public DnsQueryHandler Handler => _handler;

    /// <summary>Binds every listen address (UDP and TCP) and starts serving. Throws <see cref="TransportException"/> naming the address.</summary>
    public void Start()
    {
        foreach (var endpoint in _listen)
        {
            Socket? udp = null;
            Socket? tcp = null;
            try
            {
                udp = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(endpoint);
                var bound = (IPEndPoint)udp.LocalEndPoint!;
                tcp = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                tcp.Bind(bound);
                tcp.Listen(MaxTcpConnections);
            }
            catch (SocketException e)
            {
                udp?.Dispose();
                tcp?.Dispose();
                Dispose();
                string hint = e.SocketErrorCode switch
                {
                    SocketError.AddressAlreadyInUse => "another DNS server listens there; choose another address (config dnsResponder.listen, --dns-responder ADDR)",
                    SocketError.AccessDenied => "port 53 needs root or CAP_NET_BIND_SERVICE",
                    SocketError.AddressNotAvailable => "no interface has that address",
                    _ => "check config dnsResponder.listen",
                };
                throw new TransportException($"DNS responder: cannot listen on {endpoint}: {e.Message}; {hint}", e);
            }

            _udp.Add(udp);
            _tcp.Add(tcp);
        }

        foreach (var udp in _udp)
        {
            _loops.Add(Task.Run(() => ServeUdpAsync(udp, _stop.Token)));
        }

        foreach (var tcp in _tcp)
        {
            _loops.Add(Task.Run(() => AcceptTcpAsync(tcp, _stop.Token)));
        }

        _logger.LogInformation("DNS responder on {Listen} (UDP and TCP): peers' names answered with their HITs (AAAA) and LSIs (A), other queries forwarded to {Upstream}",
            string.Join(", ", LocalEndpoints), _forwarder.Servers);
        foreach (var e in LocalEndpoints.Where(e => !IPAddress.IsLoopback(e.Address)))
        {
            _logger.LogWarning("DNS responder: {Listen} is not a loopback address: every host that reaches it can use it as a resolver", e);
        }
    }

    public DnsResponderReport BuildReport() => new()
    {
        Listen = LocalEndpoints.Select(e => e.ToString()).ToList(),
        Upstream = _forwarder.Upstream.Select(e => e.ToString()).ToList(),
        Queries = _handler.Queries,
        Answered = _handler.Answered,
        Forwarded = _handler.Forwarded,
        Failed = _handler.Failed,
        FormatErrors = _handler.FormatErrors,
        Dropped = _handler.Drops.Values.Sum(),
        Drops = _handler.Drops.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
    };

    public void Dispose()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }

        foreach (var s in _udp.Concat(_tcp))
        {
            s.Dispose();
        }

        try
        {
            Task.WaitAll([.. _loops], TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task ServeUdpAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[ushort.MaxValue];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;
            }
            catch (SocketException e)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                _logger.LogWarning("DNS responder: receiving on {Listen} failed: {Error}", socket.LocalEndPoint, e.Message);
                await Task.Delay(100, CancellationToken.None);
                continue;
            }

            if (Interlocked.Increment(ref _inFlight) > MaxInFlight)
            {
                Interlocked.Decrement(ref _inFlight);
                _handler.CountDrop(DnsResponderDrop.Busy);
                continue;
            }

            var query = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            var client = received.RemoteEndPoint;
            _ = AnswerUdpAsync(socket, query, client, cancellationToken);
        }
    }

    private async Task AnswerUdpAsync(Socket socket, byte[] query, EndPoint client, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _handler.HandleAsync(query, tcp: false, cancellationToken);
            if (response is not null)
            {
                await socket.SendToAsync(response, SocketFlags.None, client, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException e)
        {
            _logger.LogDebug("DNS responder: cannot answer {Client}: {Error}", client, e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task AcceptTcpAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                _logger.LogDebug("DNS responder: accepting on {Listen} failed: {Error}", listener.LocalEndPoint, e.Message);
                continue;
            }

            if (Interlocked.Increment(ref _tcpConnections) > MaxTcpConnections)
            {
                Interlocked.Decrement(ref _tcpConnections);
                _handler.CountDrop(DnsResponderDrop.Busy);
                connection.Dispose();
                continue;
            }

            _ = ServeTcpAsync(connection, cancellationToken);
        }
    }

    /// <summary>Queries on one TCP connection, answered in order (RFC 7766 §6.2.1.1 allows that), until it closes or idles.</summary>
    private async Task ServeTcpAsync(Socket connection, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = new NetworkStream(connection, ownsSocket: true);
            while (!cancellationToken.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                idle.CancelAfter(TcpIdleTimeout);
                var length = new byte[2];
                int got = await stream.ReadAtLeastAsync(length, 2, throwOnEndOfStream: false, idle.Token);
                if (got < 2)
                {
                    if (got == 1)
                    {
                        _handler.CountDrop(DnsResponderDrop.TcpFraming);
                    }

                    return;
                }

                var query = new byte[(length[0] << 8) | length[1]];
                got = await stream.ReadAtLeastAsync(query, query.Length, throwOnEndOfStream: false, idle.Token);
                if (got < query.Length)
                {
                    _handler.CountDrop(DnsResponderDrop.TcpFraming);
                    return;
                }

                var response = await _handler.HandleAsync(query, tcp: true, cancellationToken);
                if (response is null)
                {
                    return;
                }

                await DnsUpstreamForwarder.WriteFramedAsync(stream, response, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _tcpConnections);
        }
    }
}
