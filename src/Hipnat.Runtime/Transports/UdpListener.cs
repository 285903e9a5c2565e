using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// One bound UDP socket and its receive thread. A socket bound to a specific address receives with
/// <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, SocketAddress)"/> into a reused <see cref="SocketAddress"/>;
/// a wildcard socket needs each datagram's destination address (IP_PKTINFO): on Linux it calls recvmsg(2) directly
/// into reused buffers (<see cref="PacketInfoReceiver"/>), elsewhere
/// <see cref="Socket.ReceiveMessageFrom(Span{byte}, ref SocketFlags, ref EndPoint, out IPPacketInformation)"/>. Either way the datagram is copied from a per-thread
/// scratch buffer into a pooled buffer sized to fit and posted to the driver. On Linux I1s and I2s arrive on a second
/// socket with its own receive buffer and thread (<see cref="BaseExchangeSteering"/>), so that a flood of them cannot
/// fill the buffer ESP and established peers' control packets wait in.
/// </summary>
internal sealed class UdpListener : IDisposable
{
    private const int ScratchSize = 65536;

    /// <summary>Receive calls return at least this often so the thread notices a shutdown even if the socket cannot be unblocked.</summary>
    internal const int ReceiveTimeoutMs = 1000;

    private readonly Socket _socket;

    /// <summary>Linux: the socket the kernel hands I1s and I2s to (<see cref="BaseExchangeSteering"/>); null elsewhere.</summary>
    private readonly Socket? _baseExchange;
    private readonly ILogger _logger;
    private readonly TransportCounters _counters;
    private readonly bool _wildcard;
    private Thread? _thread;
    private Thread? _baseExchangeThread;
    private volatile bool _stopping;
    private volatile IEspReceiver? _espReceiver;
    private volatile bool _gro;

    public UdpListener(TransportAddress requested, TransportCounters counters, ILogger logger)
    {
        _counters = counters;
        _logger = logger;
        var family = requested.Address.AddressFamily;
        _wildcard = requested.Address.Equals(IPAddress.Any) || requested.Address.Equals(IPAddress.IPv6Any);
        _socket = NewSocket(family, _wildcard);
        try
        {
            int port = requested.Port;
            if (OperatingSystem.IsLinux())
            {
                // The I1/I2 socket joins the main one through SO_REUSEPORT. A plain bind first, so that a port held by
                // anyone (another daemon's group too) is still an error rather than a silently shared port.
                using (var probe = NewSocket(family, wildcard: false))
                {
                    probe.Bind(new IPEndPoint(requested.Address, requested.Port));
                    port = ((IPEndPoint)probe.LocalEndPoint!).Port;
                }

                BaseExchangeSteering.AllowReusePort(_socket);
            }

            _socket.Bind(new IPEndPoint(requested.Address, port));
            var bound = (IPEndPoint)_socket.LocalEndPoint!;
            Local = TransportAddress.Udp(bound.Address, (ushort)bound.Port);
        }
        catch (SocketException e)
        {
            _socket.Dispose();
            throw new TransportException(BindErrorMessage(requested, e), e);
        }

        if (OperatingSystem.IsLinux())
        {
            _baseExchange = TryOpenBaseExchangeSocket();
        }
    }

    public TransportAddress Local { get; }

    public AddressFamily Family => Local.Address.AddressFamily;

    public bool IsWildcard => _wildcard;

    public void Start(DriverInbox inbox)
    {
        _thread = new Thread(() => ReceiveLoop(inbox, _socket))
        {
            IsBackground = true,
            Name = $"hipnat-udp {Local}",
        };
        _thread.Start();
        if (_baseExchange is { } bx)
        {
            _baseExchangeThread = new Thread(() => ReceiveLoop(inbox, bx))
            {
                IsBackground = true,
                Name = $"hipnat-udp-bex {Local}",
            };
            _baseExchangeThread.Start();
        }
    }

    /// <summary>
    /// Takes ESP (a non-zero first word that is not STUN, RFC 9028 §5.1) on the receive thread, past the driver; null
    /// sends everything to the driver. While set, the socket receives coalesced bursts (UDP_GRO) where Linux allows.
    /// </summary>
    public IEspReceiver? EspReceiver
    {
        get => _espReceiver;
        set
        {
            _espReceiver = value;
            if (value is not null && PacketInfoReceiver.IsSupported && !_gro)
            {
                try
                {
                    Span<byte> on = [1, 0, 0, 0];
                    _socket.SetRawSocketOption(PacketInfoReceiver.SolUdp, PacketInfoReceiver.UdpGro, on);
                    _gro = true;
                }
                catch (SocketException)
                {
                    // Kernel without UDP_GRO: one datagram per receive.
                }
            }
        }
    }

    /// <summary>The socket I1s and I2s arrive on, if separate (Linux); for tests.</summary>
    internal Socket? BaseExchangeSocket => _baseExchange;

    /// <summary>The bound socket (sends are thread-safe: the data plane sends ESP from it).</summary>
    public Socket Socket => _socket;

    /// <summary>Driver thread only.</summary>
    public void SendTo(ReadOnlySpan<byte> payload, SocketAddress destination) =>
        _socket.SendTo(payload, SocketFlags.None, destination);

    /// <summary>
    /// Driver thread only: sends from <paramref name="source"/>, an address of this host, which a wildcard socket
    /// names in an IP_PKTINFO / IPV6_PKTINFO control message (<see cref="PacketInfoSender"/>). Returns 0, or errno.
    /// </summary>
    public int SendFrom(ReadOnlySpan<byte> payload, SocketAddress destination, IPAddress source)
    {
        Span<byte> control = stackalloc byte[PacketInfoSender.MaxControlSize];
        int length = PacketInfoSender.WriteControl(source, control);
        return PacketInfoSender.SendTo(_socket.SafeHandle, payload, destination, control[..length]);
    }

    /// <summary>True when sends from <paramref name="source"/> need <see cref="SendFrom"/>: a wildcard socket and a concrete address.</summary>
    public bool NeedsSource(TransportAddress source) => _wildcard && PacketInfoSender.Applies(source.Address, Family);

    public void Dispose()
    {
        _stopping = true;
        _socket.Dispose(); // unblocks the receive call
        _baseExchange?.Dispose();
        foreach (var thread in new[] { _thread, _baseExchangeThread })
        {
            if (thread is not null && thread != Thread.CurrentThread)
            {
                thread.Join(TimeSpan.FromSeconds(2));
            }
        }
    }

    internal static string BindErrorMessage(TransportAddress address, SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse =>
            $"cannot listen on {address}: the port is already in use; stop the other process or choose another --listen port",
        SocketError.AddressNotAvailable =>
            $"cannot listen on {address}: the address is not assigned to this host; use one of its addresses or 0.0.0.0 / [::]",
        SocketError.AccessDenied =>
            $"cannot listen on {address}: permission denied; ports below 1024 need root (CAP_NET_BIND_SERVICE)",
        SocketError.AddressFamilyNotSupported =>
            $"cannot listen on {address}: this host does not support that address family",
        _ => $"cannot listen on {address}: {e.Message}",
    };

    /// <summary>
    /// Receive buffer of the HIP/ESP socket: room for about a hundred coalesced 64 KiB bursts (UDP_GRO), so a receive
    /// thread kept off the CPU for a few milliseconds does not drop whole bursts of a TCP flow's segments.
    /// </summary>
    internal const int ReceiveBufferBytes = 8 << 20;

    internal static void TrySetBufferSizes(Socket socket)
    {
        // SO_RCVBUFFORCE (CAP_NET_ADMIN) may exceed net.core.rmem_max; without the capability SO_RCVBUF, capped by it.
        const int SolSocket = 1;
        const int SoRcvBufForce = 33;
        try
        {
            socket.SetRawSocketOption(SolSocket, SoRcvBufForce, BitConverter.GetBytes(ReceiveBufferBytes));
        }
        catch (SocketException)
        {
            try
            {
                socket.ReceiveBufferSize = ReceiveBufferBytes;
            }
            catch (SocketException)
            {
                // Best effort: the kernel caps it anyway.
            }
        }

        try
        {
            socket.SendBufferSize = 1 << 20;
        }
        catch (SocketException)
        {
            // Best effort: the kernel caps these anyway.
        }
    }

    /// <summary>A UDP socket with this listener's options, not bound yet.</summary>
    private static Socket NewSocket(AddressFamily family, bool wildcard)
    {
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (family == AddressFamily.InterNetworkV6)
            {
                // Separate IPv4 and IPv6 sockets: a [::] listener must not take 0.0.0.0's port.
                socket.DualMode = false;
            }

            if (wildcard)
            {
                socket.SetSocketOption(
                    family == AddressFamily.InterNetworkV6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP,
                    SocketOptionName.PacketInformation,
                    true);
            }

            TrySetBufferSizes(socket);
            socket.ReceiveTimeout = ReceiveTimeoutMs;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Binds the I1/I2 socket next to the main one and steers to it; null (everything on the main socket)
    /// where the kernel refuses.</summary>
    private Socket? TryOpenBaseExchangeSocket()
    {
        var socket = NewSocket(Family, _wildcard);
        try
        {
            BaseExchangeSteering.AllowReusePort(socket);
            socket.Bind(new IPEndPoint(Local.Address, Local.Port));
            BaseExchangeSteering.Attach(_socket);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            _logger.LogDebug("UDP {Local}: no separate I1/I2 socket ({Error}); one socket takes everything", Local, e.SocketErrorCode);
            return null;
        }
    }

    private void ReceiveLoop(DriverInbox inbox, Socket socket)
    {
        var scratch = GC.AllocateUninitializedArray<byte>(ScratchSize, pinned: true);
        var cache = new ReceiveAddressCache(Family, TransportKind.Udp);
        var socketAddress = new SocketAddress(Family, SocketAddress.GetMaximumAddressSize(Family));
        EndPoint remote = new IPEndPoint(Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var name = new byte[PacketInfoReceiver.NameSize];
        var control = new byte[PacketInfoReceiver.ControlSize];
        while (!_stopping)
        {
            try
            {
                int length;
                int segment = 0;
                TransportAddress local;
                TransportAddress from;
                if ((_wildcard || _gro) && PacketInfoReceiver.IsSupported)
                {
                    length = PacketInfoReceiver.Receive(socket.SafeHandle, scratch, name, control, out int nameLength, out int controlLength, out int flags, out int errno);
                    if (length < 0)
                    {
                        if (_stopping)
                        {
                            break;
                        }

                        if (errno is not (PacketInfoReceiver.EAgain or PacketInfoReceiver.EIntr))
                        {
                            _counters.CountReceiveError();
                            _logger.LogDebug("UDP {Local}: recvmsg failed with errno {Errno}", Local, errno);
                            Thread.Sleep(1);
                        }

                        continue;
                    }

                    if (_stopping)
                    {
                        break;
                    }

                    if ((flags & PacketInfoReceiver.MsgTrunc) != 0 || nameLength < 8)
                    {
                        _counters.CountReceiveError();
                        continue;
                    }

                    from = cache.FromSockaddr(name.AsSpan(0, nameLength));
                    local = _wildcard && PacketInfoReceiver.TryGetDestination(control.AsSpan(0, controlLength), out var destination)
                        ? cache.FromLocalBytes(destination, Local.Port)
                        : Local;
                    if (_gro && PacketInfoReceiver.TryGetGroSegmentSize(control.AsSpan(0, controlLength), out int size))
                    {
                        segment = size;
                    }
                }
                else if (_wildcard)
                {
                    var flags = SocketFlags.None;
                    length = socket.ReceiveMessageFrom(scratch, ref flags, ref remote, out var info);
                    if ((flags & SocketFlags.Truncated) != 0)
                    {
                        _counters.CountReceiveError();
                        continue;
                    }

                    from = cache.FromEndPoint((IPEndPoint)remote);
                    local = info.Address is null ? Local : cache.FromLocalAddress(info.Address, Local.Port);
                }
                else
                {
                    length = socket.ReceiveFrom(scratch, SocketFlags.None, socketAddress);
                    from = cache.FromSocketAddress(socketAddress);
                    local = Local;
                }

                // One datagram, or a coalesced burst from one sender (UDP_GRO): segment by segment.
                if (segment <= 0)
                {
                    segment = Math.Max(length, 1);
                }

                // A burst is one batch for the data plane, which may join its TCP segments (TUN offloads).
                var espReceiver = _espReceiver;
                bool burst = espReceiver is not null && segment < length;
                if (burst)
                {
                    espReceiver!.BeginBatch();
                }

                try
                {
                    for (int offset = 0; offset < length || offset == 0; offset += segment)
                    {
                        var datagram = scratch.AsSpan(offset, Math.Min(segment, length - offset));
                        _counters.CountReceived();
                        if (espReceiver is { } esp && datagram.Length >= 8 && BinaryPrimitives.ReadUInt32BigEndian(datagram) != 0
                            && !HipUdpFraming.IsStun(datagram) && esp.TryReceive(datagram, local, from))
                        {
                            continue;
                        }

                        inbox.PostDatagram(ReceivedDatagram.Copy(local, from, datagram));
                    }
                }
                finally
                {
                    if (burst)
                    {
                        espReceiver!.EndBatch();
                    }
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                // The receive timeout only makes the thread look at _stopping now and then.
            }
            catch (SocketException e) when (!_stopping)
            {
                // ICMP errors from earlier sends surface here on some systems; they never end the loop.
                _counters.CountReceiveError();
                _logger.LogDebug("UDP {Local}: receive error {Error}", Local, e.SocketErrorCode);
            }
            catch (SocketException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (Exception e) when (!_stopping)
            {
                _counters.CountReceiveError();
                _logger.LogError(e, "UDP {Local}: unexpected receive failure", Local);
                Thread.Sleep(10);
            }
        }
    }
}
