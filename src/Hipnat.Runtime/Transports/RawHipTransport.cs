using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// HIP directly over IP protocol 139 (RFC 7401 §5.1), IPv4 and IPv6. Needs root or CAP_NET_RAW. The kernel builds
/// the IP header; this transport fills in the HIP checksum over the pseudo-header with the source address the
/// packet will really carry: the bound address of the sending socket, or for a wildcard socket the source the
/// routing table picks for the destination.
/// </summary>
public sealed class RawHipTransport : IHipTransport
{
    private static readonly TimeSpan RouteCacheLifetime = TimeSpan.FromSeconds(30);

    private readonly List<RawHipListener> _listeners = [];
    private readonly Dictionary<IPAddress, SocketAddress> _destinations = [];
    private readonly Dictionary<IPAddress, (IPAddress Source, long At)> _routes = [];
    private readonly ILogger _logger;
    private readonly WarningThrottle _sendWarnings = new(TimeSpan.FromSeconds(5));

    /// <param name="listen">Local addresses to bind (0.0.0.0 / :: for all).</param>
    /// <param name="logger">Log sink.</param>
    /// <param name="optional">Addresses that may fail to bind (e.g. the default :: on a host without IPv6): skipped with a warning.</param>
    public RawHipTransport(IReadOnlyList<IPAddress> listen, ILogger logger, IReadOnlySet<IPAddress>? optional = null)
    {
        ArgumentNullException.ThrowIfNull(listen);
        _logger = logger;
        try
        {
            foreach (var address in listen)
            {
                try
                {
                    _listeners.Add(new RawHipListener(address, Counters, logger));
                }
                catch (TransportException e) when (optional?.Contains(address) == true && e.Message != RawHipListener.NeedsRootMessage)
                {
                    logger.LogWarning("{Message} (skipped)", e.Message);
                }
            }
        }
        catch
        {
            foreach (var l in _listeners)
            {
                l.Dispose();
            }

            throw;
        }

        if (_listeners.Count == 0)
        {
            throw new TransportException("no raw HIP listen address could be bound; give one with --listen ADDR");
        }

        LocalAddresses = _listeners.Select(l => l.Local).ToArray();
    }

    public static string NeedsRootMessage => RawHipListener.NeedsRootMessage;

    public TransportKind Kind => TransportKind.RawHip;

    public IReadOnlyList<TransportAddress> LocalAddresses { get; }

    public TransportCounters Counters { get; } = new();

    public void Start(DriverInbox inbox)
    {
        foreach (var l in _listeners)
        {
            l.Start(inbox);
        }
    }

    public bool Send(in Transmit transmit)
    {
        var destination = transmit.Remote.Address;
        var listener = Pick(transmit.Local.Address, destination.AddressFamily);
        if (listener is null)
        {
            Counters.CountSendError();
            _sendWarnings.Warn(_logger, "raw HIP: no socket of the family of {Remote}; add a --listen address of that family", transmit.Remote);
            return false;
        }

        var source = listener.IsWildcard ? RouteSource(destination) : listener.Local.Address;
        if (source is null)
        {
            Counters.CountSendError();
            _sendWarnings.Warn(_logger, "raw HIP: no route to {Remote}", transmit.Remote);
            return false;
        }

        if (transmit.Length < HipChecksum.ChecksumOffset + 2)
        {
            Counters.CountSendError();
            return false;
        }

        var packet = transmit.Buffer.AsSpan(0, transmit.Length);
        HipChecksum.Apply(packet, source, destination);
        if (!_destinations.TryGetValue(destination, out var socketAddress))
        {
            if (_destinations.Count >= 4096)
            {
                _destinations.Clear();
            }

            socketAddress = new IPEndPoint(destination, 0).Serialize();
            _destinations[destination] = socketAddress;
        }

        try
        {
            listener.SendTo(packet, socketAddress);
            Counters.CountSent();
            return true;
        }
        catch (SocketException e)
        {
            Counters.CountSendError();
            _sendWarnings.Warn(_logger, "raw HIP: send to {Remote} failed: {Error}", transmit.Remote, e.SocketErrorCode);
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        foreach (var l in _listeners)
        {
            l.Dispose();
        }
    }

    private RawHipListener? Pick(IPAddress? local, AddressFamily family)
    {
        RawHipListener? wildcard = null;
        RawHipListener? any = null;
        foreach (var l in _listeners)
        {
            if (l.Family != family)
            {
                continue;
            }

            if (local is not null && l.Local.Address.Equals(local))
            {
                return l;
            }

            if (l.IsWildcard)
            {
                wildcard ??= l;
            }

            any ??= l;
        }

        return wildcard ?? any;
    }

    /// <summary>The source address the kernel will choose toward <paramref name="destination"/> (a connected UDP socket sends nothing).</summary>
    private IPAddress? RouteSource(IPAddress destination)
    {
        long now = Stopwatch.GetTimestamp();
        if (_routes.TryGetValue(destination, out var cached) && Stopwatch.GetElapsedTime(cached.At, now) < RouteCacheLifetime)
        {
            return cached.Source;
        }

        try
        {
            using var probe = new Socket(destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(destination, 9));
            var source = ((IPEndPoint)probe.LocalEndPoint!).Address;
            if (_routes.Count >= 4096)
            {
                _routes.Clear();
            }

            _routes[destination] = (source, now);
            return source;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
