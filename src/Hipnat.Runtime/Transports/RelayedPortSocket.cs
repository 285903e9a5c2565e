using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// One relayed UDP port of the data relay. Unlike the HIP listeners it has no thread of its own: a relay may hold
/// thousands of these, so each runs an asynchronous receive loop (<see cref="Socket.ReceiveFromAsync(Memory{byte}, SocketFlags, SocketAddress, CancellationToken)"/>
/// into a reused buffer and <see cref="SocketAddress"/>, which does not allocate per datagram) and posts copies to
/// the driver. Datagrams longer than <see cref="BufferSize"/> are dropped and counted as receive errors.
/// </summary>
internal sealed class RelayedPortSocket : IDisposable
{
    /// <summary>Largest datagram relayed: a jumbo frame's worth of UDP-encapsulated ESP.</summary>
    public const int BufferSize = 9216;

    private readonly Socket _socket;
    private readonly TransportCounters _counters;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();

    private RelayedPortSocket(Socket socket, TransportAddress local, TransportCounters counters, ILogger logger)
    {
        _socket = socket;
        Local = local;
        _counters = counters;
        _logger = logger;
    }

    public TransportAddress Local { get; }

    /// <summary>Binds <paramref name="address"/>; throws <see cref="TransportException"/> when it cannot.</summary>
    public static RelayedPortSocket Bind(TransportAddress address, TransportCounters counters, ILogger logger)
    {
        var family = address.Address.AddressFamily;
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (family == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            socket.Bind(new IPEndPoint(address.Address, address.Port));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new TransportException(UdpListener.BindErrorMessage(address, e), e);
        }

        return new RelayedPortSocket(socket, address, counters, logger);
    }

    public void Start(DriverInbox inbox) => _ = ReceiveLoopAsync(inbox);

    /// <summary>Driver thread only.</summary>
    public void SendTo(ReadOnlySpan<byte> payload, SocketAddress destination) =>
        _socket.SendTo(payload, SocketFlags.None, destination);

    /// <summary>Closes the port without waiting for the receive loop (it ends on its own): the driver thread calls this.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
    }

    private async Task ReceiveLoopAsync(DriverInbox inbox)
    {
        await Task.Yield();
        var family = Local.Address.AddressFamily;
        var buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
        var from = new SocketAddress(family, SocketAddress.GetMaximumAddressSize(family));
        var cache = new ReceiveAddressCache(family, TransportKind.Udp);
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await _socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, from, token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
            {
                _counters.CountReceiveError();
                continue;
            }
            catch (SocketException e) when (!token.IsCancellationRequested && e.SocketErrorCode != SocketError.OperationAborted)
            {
                // ICMP errors from earlier sends surface here; they never end the loop.
                _counters.CountReceiveError();
                _logger.LogDebug("relayed port {Local}: receive error {Error}", Local, e.SocketErrorCode);
                continue;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            _counters.CountReceived();
            inbox.PostDatagram(ReceivedDatagram.Copy(Local, cache.FromSocketAddress(from), buffer.AsSpan(0, length)));
        }
    }
}
