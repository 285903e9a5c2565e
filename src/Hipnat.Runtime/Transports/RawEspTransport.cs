using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Hipnat.Core.Transport;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// ESP straight over IP, protocol 50 (RFC 4303 §2, RFC 7402 §3: no UDP header, no non-ESP marker), for associations
/// that run on the raw HIP transport (IP protocol 139), where no UDP port is shared with HIP control. One raw socket
/// per address the raw HIP transport listens on, each with its own receive thread that hands every ESP packet to the
/// <see cref="IEspReceiver"/> (the data plane) — on Linux up to 32 packets per recvmmsg(2) into a pinned arena, those
/// of one call passed as one batch (<see cref="IEspReceiver.BeginBatch"/>), elsewhere one receive per packet; nothing
/// allocated per packet. Sends go through <see cref="GetEspSocket"/>; the kernel builds the IP header. Needs root
/// (CAP_NET_RAW).
/// </summary>
public sealed class RawEspTransport : IEspTransport, IDisposable
{
    /// <summary>IP protocol number of ESP (RFC 4303 §2).</summary>
    public const int ProtocolNumber = 50;

    private readonly List<RawEspSocket> _sockets = [];

    /// <param name="addresses">Local addresses to bind (0.0.0.0 / :: for all): those of the raw HIP transport.</param>
    /// <param name="logger">Log sink.</param>
    /// <param name="optional">Addresses that may fail to bind: skipped with a warning.</param>
    public RawEspTransport(IReadOnlyList<IPAddress> addresses, ILogger logger, IReadOnlySet<IPAddress>? optional = null)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        try
        {
            foreach (var address in addresses)
            {
                try
                {
                    _sockets.Add(new RawEspSocket(address, Counters, logger));
                }
                catch (TransportException e) when (optional?.Contains(address) == true && e.Message != RawHipTransport.NeedsRootMessage)
                {
                    logger.LogWarning("{Message} (skipped)", e.Message);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        if (_sockets.Count == 0)
        {
            throw new TransportException("no raw ESP socket (IP protocol 50) could be bound");
        }

        LocalAddresses = _sockets.Select(s => s.Address).ToArray();
    }

    /// <summary>The addresses actually bound.</summary>
    public IReadOnlyList<IPAddress> LocalAddresses { get; }

    /// <summary>Received counts ESP packets taken off the sockets; Malformed what was not ESP.</summary>
    public TransportCounters Counters { get; } = new();

    /// <summary>Starts the receive threads (idempotent).</summary>
    public void Start()
    {
        foreach (var s in _sockets)
        {
            s.Start();
        }
    }

    public Socket? GetEspSocket(TransportAddress local, TransportAddress remote)
    {
        var family = remote.Address.AddressFamily;
        RawEspSocket? wildcard = null;
        RawEspSocket? any = null;
        foreach (var s in _sockets)
        {
            if (s.Address.AddressFamily != family)
            {
                continue;
            }

            if (local.Address is not null && s.Address.Equals(local.Address))
            {
                return s.Socket;
            }

            if (s.IsWildcard)
            {
                wildcard ??= s;
            }

            any ??= s;
        }

        return (wildcard ?? any)?.Socket;
    }

    public void SetEspReceiver(IEspReceiver? receiver)
    {
        foreach (var s in _sockets)
        {
            s.Receiver = receiver;
        }
    }

    public void Dispose()
    {
        foreach (var s in _sockets)
        {
            s.Dispose();
        }
    }

    /// <summary>
    /// The ESP packet inside what an IPv4 raw socket delivers (the IP header comes along): false unless it is a sane
    /// IPv4 header carrying protocol 50.
    /// </summary>
    internal static bool TryStripIPv4(ReadOnlySpan<byte> datagram, out int offset, out int length)
    {
        offset = 0;
        length = 0;
        if (datagram.Length < 20 || (datagram[0] >> 4) != 4 || datagram[9] != ProtocolNumber)
        {
            return false;
        }

        int headerLength = (datagram[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (headerLength < 20 || headerLength >= datagram.Length)
        {
            return false;
        }

        // As for raw HIP: trust the datagram size when the total length looks odd.
        if (totalLength <= headerLength || totalLength > datagram.Length)
        {
            totalLength = datagram.Length;
        }

        offset = headerLength;
        length = totalLength - headerLength;
        return true;
    }

    /// <summary>One raw protocol-50 socket and its receive thread.</summary>
    private sealed class RawEspSocket : IDisposable
    {
        private const int ScratchSize = 65536;
        private const int Slots = 32;
        private const int EspHeaderLength = 8; // SPI and sequence number

        private readonly TransportCounters _counters;
        private readonly ILogger _logger;
        private Thread? _thread;
        private volatile bool _stopping;

        public RawEspSocket(IPAddress address, TransportCounters counters, ILogger logger)
        {
            _counters = counters;
            _logger = logger;
            Address = address;
            IsWildcard = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
            Socket = Open(address.AddressFamily);
            try
            {
                Socket.ReceiveTimeout = UdpListener.ReceiveTimeoutMs;
                // The same 8 MiB as the UDP socket: a burst of a TCP flow's ESP waits here while the thread decrypts
                // the previous one; a default-sized buffer drops segments of a single stream by the thousand.
                UdpListener.TrySetBufferSizes(Socket);
                Socket.Bind(new IPEndPoint(address, 0));
            }
            catch (SocketException e)
            {
                Socket.Dispose();
                throw new TransportException($"cannot bind a raw ESP socket (IP protocol 50) to {address}: {e.Message}", e);
            }
        }

        public IPAddress Address { get; }

        public bool IsWildcard { get; }

        public Socket Socket { get; }

        public volatile IEspReceiver? Receiver;

        public void Start()
        {
            if (_thread is not null)
            {
                return;
            }

            _thread = new Thread(ReceiveLoop)
            {
                IsBackground = true,
                Name = $"hipnat-esp {Address}",
            };
            _thread.Start();
        }

        public void Dispose()
        {
            _stopping = true;
            Socket.Dispose();
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
                    return new Socket(family, SocketType.Raw, ProtocolType.IPSecEncapsulatingSecurityPayload);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
                {
                    throw new TransportException(RawHipTransport.NeedsRootMessage, e);
                }
                catch (SocketException e)
                {
                    throw new TransportException($"cannot open a raw socket for ESP (IP protocol 50): {e.Message}", e);
                }
            }

            int fd = NativeMethods.CreateSocket(
                family == AddressFamily.InterNetworkV6 ? NativeMethods.AfInet6 : NativeMethods.AfInet,
                NativeMethods.SockRaw | NativeMethods.SockCloexec,
                ProtocolNumber);
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is NativeMethods.EPerm or NativeMethods.EAcces)
                {
                    throw new TransportException(RawHipTransport.NeedsRootMessage);
                }

                throw new TransportException($"cannot open a raw {(family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} socket for ESP (IP protocol 50): {Marshal.GetPInvokeErrorMessage(errno)}");
            }

            return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }

        private void ReceiveLoop()
        {
            if (SocketMessage.IsSupported)
            {
                try
                {
                    ReceiveBatches();
                    return;
                }
                catch (EntryPointNotFoundException)
                {
                    // A C library without recvmmsg: one receive per packet.
                }
            }

            ReceiveOneByOne();
        }

        /// <summary>
        /// recvmmsg(2) into a pinned arena of <see cref="Slots"/> buffers of <see cref="ScratchSize"/> octets (room for
        /// the largest IP datagram: 2 MiB per socket, of which packets write only the pages they reach). MSG_WAITFORONE waits
        /// (up to the receive timeout) for the first packet only and then takes what is queued, so one call returns
        /// everything that arrived meanwhile, and a burst is one batch for the receiver.
        /// </summary>
        private unsafe void ReceiveBatches()
        {
            var arena = GC.AllocateUninitializedArray<byte>(Slots * ScratchSize, pinned: true);
            var iov = GC.AllocateArray<SocketMessage.IoVec>(Slots, pinned: true);
            var messages = GC.AllocateArray<SocketMessage.MMsgHdr>(Slots, pinned: true);
            byte* arenaBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(arena));
            var iovBase = (SocketMessage.IoVec*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(iov));
            var messagesBase = (SocketMessage.MMsgHdr*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(messages));
            for (int i = 0; i < Slots; i++)
            {
                iov[i].Base = arenaBase + (i * ScratchSize);
                iov[i].Length = ScratchSize;
                messages[i].Header.Iov = iovBase + i;
                messages[i].Header.IovLength = 1;
            }

            bool ipv4 = Address.AddressFamily == AddressFamily.InterNetwork;
            var handle = Socket.SafeHandle;
            while (!_stopping)
            {
                int count;
                int errno = 0;
                bool added = false;
                try
                {
                    handle.DangerousAddRef(ref added);
                    count = SocketMessage.RecvMMsg((int)handle.DangerousGetHandle(), messagesBase, Slots, SocketMessage.MsgWaitForOne, null);
                    if (count < 0)
                    {
                        errno = Marshal.GetLastPInvokeError();
                    }
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
                finally
                {
                    if (added)
                    {
                        handle.DangerousRelease();
                    }
                }

                if (_stopping)
                {
                    break;
                }

                if (count < 0)
                {
                    // The receive timeout (EAGAIN) only makes the thread look at _stopping now and then.
                    if (errno is not (NativeMethods.EAgain or NativeMethods.EIntr))
                    {
                        _counters.CountReceiveError();
                        _logger.LogDebug("raw ESP {Address}: recvmmsg failed with errno {Errno}", Address, errno);
                    }

                    continue;
                }

                try
                {
                    Deliver(arena, messages, count, ipv4);
                }
                catch (Exception e) when (!_stopping)
                {
                    _counters.CountReceiveError();
                    _logger.LogError(e, "raw ESP {Address}: unexpected receive failure", Address);
                    Thread.Sleep(10);
                }
            }
        }

        /// <summary>The packets of one recvmmsg, one by one; more than one are a batch for the receiver (which may
        /// coalesce the TCP segments decrypted from them).</summary>
        private void Deliver(byte[] arena, SocketMessage.MMsgHdr[] messages, int count, bool ipv4)
        {
            var receiver = Receiver;
            bool batch = receiver is not null && count > 1;
            if (batch)
            {
                receiver!.BeginBatch();
            }

            try
            {
                for (int i = 0; i < count; i++)
                {
                    int length = (int)Math.Min(messages[i].Length, ScratchSize);
                    Process(arena.AsSpan(i * ScratchSize, length), ipv4, receiver);
                }
            }
            finally
            {
                if (batch)
                {
                    receiver!.EndBatch();
                }
            }
        }

        /// <summary>Checks one packet off the socket (stripping an IPv4 header) and hands the ESP packet on.</summary>
        private void Process(ReadOnlySpan<byte> esp, bool ipv4, IEspReceiver? receiver)
        {
            if (ipv4)
            {
                // IPv4 raw sockets deliver the IP header; IPv6 raw sockets only the payload.
                if (!TryStripIPv4(esp, out int offset, out int espLength))
                {
                    _counters.CountMalformed();
                    return;
                }

                esp = esp.Slice(offset, espLength);
            }

            // RFC 4303 §2.1: SPI 0 is reserved for local use and never on the wire.
            if (esp.Length < EspHeaderLength || BinaryPrimitives.ReadUInt32BigEndian(esp) == 0)
            {
                _counters.CountMalformed();
                return;
            }

            _counters.CountReceived();
            receiver?.TryReceive(esp);
        }

        /// <summary>Where recvmmsg cannot be used: one Socket.Receive per packet into one pinned buffer.</summary>
        private void ReceiveOneByOne()
        {
            var scratch = GC.AllocateUninitializedArray<byte>(ScratchSize, pinned: true);
            bool ipv4 = Address.AddressFamily == AddressFamily.InterNetwork;
            while (!_stopping)
            {
                try
                {
                    int length = Socket.Receive(scratch.AsSpan(), SocketFlags.None);
                    if (_stopping)
                    {
                        break;
                    }

                    Process(scratch.AsSpan(0, length), ipv4, Receiver);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.Interrupted)
                {
                    // The receive timeout only makes the thread look at _stopping now and then.
                }
                catch (SocketException e) when (!_stopping)
                {
                    _counters.CountReceiveError();
                    _logger.LogDebug("raw ESP {Address}: receive error {Error}", Address, e.SocketErrorCode);
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
                    _logger.LogError(e, "raw ESP {Address}: unexpected receive failure", Address);
                    Thread.Sleep(10);
                }
            }
        }
    }
}
