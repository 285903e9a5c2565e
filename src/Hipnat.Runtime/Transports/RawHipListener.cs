using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// One raw IP socket for protocol 139 and its receive thread. IPv4 raw sockets deliver the IP header, which gives
/// both addresses; IPv6 raw sockets deliver only the HIP packet, so the destination comes from IPV6_PKTINFO (or
/// the bound address). Every packet's HIP checksum is verified against the pseudo-header before it is posted.
/// </summary>
internal sealed class RawHipListener : IDisposable
{
    public const string NeedsRootMessage = "raw HIP needs root (CAP_NET_RAW); use UDP (the default) or run as root";

    private const int ScratchSize = 65536;
    private const int IPv4MinHeader = 20;

    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly TransportCounters _counters;
    private readonly bool _wildcard;
    private Thread? _thread;
    private volatile bool _stopping;

    public RawHipListener(IPAddress address, TransportCounters counters, ILogger logger)
    {
        _counters = counters;
        _logger = logger;
        var family = address.AddressFamily;
        _socket = Open(family);
        try
        {
            _wildcard = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

            // (IPV6_V6ONLY does not apply to raw sockets: an IPv6 raw socket never sees IPv4 packets.)
            if (family == AddressFamily.InterNetworkV6 && _wildcard)
            {
                _socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.PacketInformation, true);
            }

            _socket.ReceiveTimeout = UdpListener.ReceiveTimeoutMs;
            _socket.Bind(new IPEndPoint(address, 0));
            Local = TransportAddress.Raw(address);
        }
        catch (SocketException e)
        {
            _socket.Dispose();
            throw new TransportException(UdpListener.BindErrorMessage(TransportAddress.Raw(address), e), e);
        }
    }

    public TransportAddress Local { get; }

    public AddressFamily Family => Local.Address.AddressFamily;

    public bool IsWildcard => _wildcard;

    public void Start(DriverInbox inbox)
    {
        _thread = new Thread(() => ReceiveLoop(inbox))
        {
            IsBackground = true,
            Name = $"hipnat-raw {Local}",
        };
        _thread.Start();
    }

    /// <summary>Driver thread only. The checksum must already be filled in.</summary>
    public void SendTo(ReadOnlySpan<byte> packet, SocketAddress destination) =>
        _socket.SendTo(packet, SocketFlags.None, destination);

    public void Dispose()
    {
        _stopping = true;
        _socket.Dispose();
        if (_thread is not null && _thread != Thread.CurrentThread)
        {
            _thread.Join(TimeSpan.FromSeconds(2));
        }
    }

    private static Socket Open(AddressFamily family)
    {
        if (!OperatingSystem.IsLinux())
        {
            try
            {
                return new Socket(family, SocketType.Raw, (ProtocolType)HipChecksum.ProtocolNumber);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
            {
                throw new TransportException(NeedsRootMessage, e);
            }
            catch (SocketException e)
            {
                throw new TransportException($"cannot open a raw socket for IP protocol 139: {e.Message}", e);
            }
        }

        int fd = NativeMethods.CreateSocket(
            family == AddressFamily.InterNetworkV6 ? NativeMethods.AfInet6 : NativeMethods.AfInet,
            NativeMethods.SockRaw | NativeMethods.SockCloexec,
            HipChecksum.ProtocolNumber);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is NativeMethods.EPerm or NativeMethods.EAcces)
            {
                throw new TransportException(NeedsRootMessage);
            }

            throw new TransportException($"cannot open a raw {(family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} socket for IP protocol 139: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }

    /// <summary>
    /// Splits a raw IPv4 datagram into its HIP payload and addresses. False for anything that is not a sane IPv4
    /// header carrying protocol 139.
    /// </summary>
    internal static bool TryParseIPv4(ReadOnlySpan<byte> datagram, out int payloadOffset, out int payloadLength)
    {
        payloadOffset = 0;
        payloadLength = 0;
        if (datagram.Length < IPv4MinHeader || (datagram[0] >> 4) != 4)
        {
            return false;
        }

        int headerLength = (datagram[0] & 0x0F) * 4;
        int totalLength = datagram[2] << 8 | datagram[3];
        if (headerLength < IPv4MinHeader || datagram[9] != HipChecksum.ProtocolNumber)
        {
            return false;
        }

        // Some kernels report the total length in host order or without the header on raw receive; trust the datagram size.
        if (totalLength < headerLength || totalLength > datagram.Length)
        {
            totalLength = datagram.Length;
        }

        if (totalLength <= headerLength)
        {
            return false;
        }

        payloadOffset = headerLength;
        payloadLength = totalLength - headerLength;
        return true;
    }

    private void ReceiveLoop(DriverInbox inbox)
    {
        var scratch = GC.AllocateUninitializedArray<byte>(ScratchSize, pinned: true);
        var cache = new ReceiveAddressCache(Family, TransportKind.RawHip);
        var socketAddress = new SocketAddress(Family, SocketAddress.GetMaximumAddressSize(Family));
        EndPoint remote = new IPEndPoint(Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var name = new byte[PacketInfoReceiver.NameSize];
        var control = new byte[PacketInfoReceiver.ControlSize];
        while (!_stopping)
        {
            try
            {
                if (Family == AddressFamily.InterNetwork)
                {
                    int length = _socket.ReceiveFrom(scratch, SocketFlags.None, socketAddress);
                    _counters.CountReceived();
                    var datagram = scratch.AsSpan(0, length);
                    if (!TryParseIPv4(datagram, out int offset, out int hipLength))
                    {
                        _counters.CountMalformed();
                        continue;
                    }

                    var hip = datagram.Slice(offset, hipLength);
                    var from = cache.FromIPv4Bytes(datagram.Slice(12, 4));
                    var local = cache.FromIPv4Bytes(datagram.Slice(16, 4));
                    if (!HipChecksum.Verify(hip, from.Address, local.Address))
                    {
                        _counters.CountBadChecksum();
                        _logger.LogDebug("raw HIP {Local}: dropped a packet with a bad checksum", Local);
                        continue;
                    }

                    inbox.PostDatagram(ReceivedDatagram.Copy(local, from, hip));
                }
                else
                {
                    int length;
                    TransportAddress from;
                    TransportAddress local;
                    if (_wildcard && PacketInfoReceiver.IsSupported)
                    {
                        length = PacketInfoReceiver.Receive(_socket.SafeHandle, scratch, name, control, out int nameLength, out int controlLength, out _, out int errno);
                        if (length < 0 || _stopping)
                        {
                            if (!_stopping && errno is not (PacketInfoReceiver.EAgain or PacketInfoReceiver.EIntr))
                            {
                                _counters.CountReceiveError();
                                Thread.Sleep(1);
                            }

                            continue;
                        }

                        if (nameLength < PacketInfoReceiver.NameSize
                            || !PacketInfoReceiver.TryGetDestination(control.AsSpan(0, controlLength), out var destination))
                        {
                            _counters.CountMalformed();
                            continue;
                        }

                        from = cache.FromSockaddr(name.AsSpan(0, nameLength));
                        local = cache.FromLocalBytes(destination, 0);
                    }
                    else if (_wildcard)
                    {
                        var flags = SocketFlags.None;
                        length = _socket.ReceiveMessageFrom(scratch, ref flags, ref remote, out var info);
                        var remoteEndPoint = (IPEndPoint)remote;
                        from = cache.FromEndPoint(remoteEndPoint);
                        if (info.Address is null)
                        {
                            _counters.CountMalformed();
                            continue;
                        }

                        local = cache.FromLocalAddress(info.Address, 0);
                    }
                    else
                    {
                        length = _socket.ReceiveFrom(scratch, SocketFlags.None, socketAddress);
                        from = cache.FromSocketAddress(socketAddress);
                        local = Local;
                    }

                    _counters.CountReceived();
                    var hip = scratch.AsSpan(0, length);
                    if (!HipChecksum.Verify(hip, from.Address, local.Address))
                    {
                        _counters.CountBadChecksum();
                        _logger.LogDebug("raw HIP {Local}: dropped a packet with a bad checksum", Local);
                        continue;
                    }

                    inbox.PostDatagram(ReceivedDatagram.Copy(local, from, hip));
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                // The receive timeout only makes the thread look at _stopping now and then.
            }
            catch (SocketException e) when (!_stopping)
            {
                _counters.CountReceiveError();
                _logger.LogDebug("raw HIP {Local}: receive error {Error}", Local, e.SocketErrorCode);
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
                _logger.LogError(e, "raw HIP {Local}: unexpected receive failure", Local);
                Thread.Sleep(10);
            }
        }
    }
}
