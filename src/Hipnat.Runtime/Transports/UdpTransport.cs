using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// HIP over UDP (RFC 9028 §5.1 framing is the core's business: payloads pass through unchanged).
/// One socket and receive thread per listen address; sends go out synchronously from the driver thread through
/// the socket that best matches the transmit's local address — from a wildcard socket with that address as the
/// source (IP_PKTINFO / IPV6_PKTINFO, <see cref="PacketInfoSender"/>), so each host candidate's packets leave from it.
/// </summary>
public sealed class UdpTransport : IHipTransport, IRelayedPorts, IEspTransport
{
    private readonly List<UdpListener> _listeners = [];
    private readonly Dictionary<TransportAddress, RelayedPortSocket> _relayed = [];
    private DriverInbox? _inbox;
    private readonly Dictionary<TransportAddress, SocketAddress> _destinations = [];
    private readonly ILogger _logger;
    private readonly WarningThrottle _sendWarnings = new(TimeSpan.FromSeconds(5));

    /// <param name="listen">Addresses to bind.</param>
    /// <param name="logger">Log sink.</param>
    /// <param name="optional">Addresses that may fail to bind (e.g. the default [::] on a host without IPv6): skipped with a warning.</param>
    public UdpTransport(IReadOnlyList<TransportAddress> listen, ILogger logger, IReadOnlySet<TransportAddress>? optional = null)
    {
        ArgumentNullException.ThrowIfNull(listen);
        _logger = logger;
        try
        {
            foreach (var address in listen)
            {
                try
                {
                    _listeners.Add(new UdpListener(address, Counters, logger));
                }
                catch (TransportException e) when (optional?.Contains(address) == true)
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
            throw new TransportException("no UDP listen address could be bound; give one with --listen ADDR:PORT");
        }

        LocalAddresses = _listeners.Select(l => l.Local).ToArray();
    }

    public TransportKind Kind => TransportKind.Udp;

    public IReadOnlyList<TransportAddress> LocalAddresses { get; }

    public TransportCounters Counters { get; } = new();

    public int RelayedPortCount => _relayed.Count;

    public void Start(DriverInbox inbox)
    {
        _inbox = inbox;
        foreach (var l in _listeners)
        {
            l.Start(inbox);
        }
    }

    public bool OpenRelayedPort(TransportAddress address, out string? error)
    {
        error = null;
        if (_relayed.ContainsKey(address))
        {
            return true;
        }

        if (_inbox is null)
        {
            error = "the transport is not started";
            return false;
        }

        try
        {
            var socket = RelayedPortSocket.Bind(address, Counters, _logger);
            _relayed[address] = socket;
            socket.Start(_inbox);
            return true;
        }
        catch (TransportException e)
        {
            error = e.Message;
            return false;
        }
    }

    public void CloseRelayedPort(TransportAddress address)
    {
        if (_relayed.Remove(address, out var socket))
        {
            socket.Dispose();
        }
    }

    public Socket? GetEspSocket(TransportAddress local, TransportAddress remote) => Pick(local, remote)?.Socket;

    public void SetEspReceiver(IEspReceiver? receiver)
    {
        foreach (var l in _listeners)
        {
            l.EspReceiver = receiver;
        }
    }

    public bool Send(in Transmit transmit)
    {
        if (_relayed.Count > 0 && _relayed.TryGetValue(transmit.Local, out var relayed))
        {
            return SendRelayed(relayed, transmit);
        }

        var listener = Pick(transmit.Local, transmit.Remote);
        if (listener is null)
        {
            Counters.CountSendError();
            _sendWarnings.Warn(_logger, "UDP: no {Family} socket to send to {Remote}; add a --listen address of that family",
                transmit.Remote.Address.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4", transmit.Remote);
            return false;
        }

        var destination = Destination(transmit.Remote);
        try
        {
            if (listener.NeedsSource(transmit.Local))
            {
                // A wildcard socket: leave from the candidate's base, not from whatever address routing picks.
                int errno = listener.SendFrom(transmit.Payload, destination, transmit.Local.Address);
                if (errno == 0)
                {
                    Counters.CountSent();
                    return true;
                }

                // Most likely not an address of this host (any more): the kernel picks the source, as without the control message.
                _logger.LogDebug("UDP: sending from {Local} to {Remote} failed with errno {Errno}; sending from the address routing picks", transmit.Local, transmit.Remote, errno);
            }

            listener.SendTo(transmit.Payload, destination);
            Counters.CountSent();
            return true;
        }
        catch (SocketException e)
        {
            Counters.CountSendError();
            _sendWarnings.Warn(_logger, "UDP: send from {Local} to {Remote} failed: {Error}", listener.Local, transmit.Remote, e.SocketErrorCode);
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

        foreach (var r in _relayed.Values.ToArray())
        {
            r.Dispose();
        }

        _relayed.Clear();
    }

    private SocketAddress Destination(TransportAddress remote)
    {
        if (!_destinations.TryGetValue(remote, out var destination))
        {
            if (_destinations.Count >= 4096)
            {
                _destinations.Clear();
            }

            destination = new IPEndPoint(remote.Address, remote.Port).Serialize();
            _destinations[remote] = destination;
        }

        return destination;
    }

    private bool SendRelayed(RelayedPortSocket socket, in Transmit transmit)
    {
        if (socket.Local.Address.AddressFamily != transmit.Remote.Address.AddressFamily)
        {
            Counters.CountSendError();
            _sendWarnings.Warn(_logger, "UDP: relayed port {Local} cannot send to {Remote} (other address family)", socket.Local, transmit.Remote);
            return false;
        }

        try
        {
            socket.SendTo(transmit.Payload, Destination(transmit.Remote));
            Counters.CountSent();
            return true;
        }
        catch (SocketException e)
        {
            Counters.CountSendError();
            _sendWarnings.Warn(_logger, "UDP: send from relayed port {Local} to {Remote} failed: {Error}", socket.Local, transmit.Remote, e.SocketErrorCode);
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private UdpListener? Pick(TransportAddress local, TransportAddress remote)
    {
        var family = remote.Address.AddressFamily;
        UdpListener? best = null;
        int bestScore = -1;
        foreach (var l in _listeners)
        {
            if (l.Family != family)
            {
                continue;
            }

            int score = 0;
            if (local.Address is not null && l.Local.Address.Equals(local.Address))
            {
                score += 4;
            }

            if (l.Local.Port == local.Port)
            {
                score += 2;
            }

            if (l.IsWildcard)
            {
                score += 1;
            }

            if (score > bestScore)
            {
                best = l;
                bestScore = score;
            }
        }

        return best;
    }
}
