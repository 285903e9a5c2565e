using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hipnat.Bench;

/// <summary>
/// Sends whole IPv4 packets (header included, so with any source address) through one raw socket
/// (<c>socket(AF_INET, SOCK_RAW, IPPROTO_RAW)</c>, which implies IP_HDRINCL, raw(7)), connected to the target
/// and fed with <c>sendmmsg(2)</c> batches. Linux x86-64/arm64 layouts; root (CAP_NET_RAW) only.
/// </summary>
internal sealed unsafe partial class RawSender : IDisposable
{
    private const int AfInet = 2;
    private const int SockRaw = 3;
    private const int IpProtoRaw = 255;
    private const int SolSocket = 1;
    private const int SoSndBuf = 7;
    private const int MsgHdrSize = 56;
    private const int MmsgHdrSize = 64;
    private const int IovecSize = 16;

    private readonly int _fd;
    private readonly byte* _frames;
    private readonly byte* _iovecs;
    private readonly byte* _msgs;
    private readonly int _count;

    /// <param name="frames">the packets, IPv4 header first; sent in this order, round and round</param>
    public RawSender(IPAddress target, IReadOnlyList<byte[]> frames)
    {
        _fd = Socket(AfInet, SockRaw, IpProtoRaw);
        if (_fd < 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        int sndbuf = 4 << 20;
        _ = SetSockOpt(_fd, SolSocket, SoSndBuf, &sndbuf, sizeof(int));
        byte* sin = stackalloc byte[16];
        new Span<byte>(sin, 16).Clear();
        sin[0] = AfInet; // sin_family (little-endian short)
        target.TryWriteBytes(new Span<byte>(sin + 4, 4), out _);
        if (Connect(_fd, sin, 16) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _ = Close(_fd);
            throw new SocketException(errno);
        }

        _count = frames.Count;
        int stride = 0;
        foreach (var f in frames)
        {
            stride = Math.Max(stride, f.Length);
        }

        _frames = (byte*)NativeMemory.AllocZeroed((nuint)(stride * _count));
        _iovecs = (byte*)NativeMemory.AllocZeroed((nuint)(IovecSize * _count));
        _msgs = (byte*)NativeMemory.AllocZeroed((nuint)(MmsgHdrSize * _count));
        for (int i = 0; i < _count; i++)
        {
            byte* frame = _frames + (i * stride);
            frames[i].CopyTo(new Span<byte>(frame, frames[i].Length));
            byte* iov = _iovecs + (i * IovecSize);
            *(byte**)iov = frame;                          // iov_base
            *(nuint*)(iov + 8) = (nuint)frames[i].Length;  // iov_len
            byte* msg = _msgs + (i * MmsgHdrSize);
            *(byte**)(msg + 16) = iov;                     // msg_iov (msg_name stays NULL: connected)
            *(nuint*)(msg + 24) = 1;                       // msg_iovlen
        }
    }

    /// <summary>Sends the frames <paramref name="batch"/> at a time for <paramref name="duration"/>, at most
    /// <paramref name="rate"/> per second (0: as fast as the socket takes them). Returns the packets sent and send errors.</summary>
    public (long Sent, long Errors) Run(TimeSpan duration, int batch, int rate, CancellationToken cancel)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long sent = 0, errors = 0;
        int next = 0;
        while (clock.Elapsed < duration && !cancel.IsCancellationRequested)
        {
            if (rate > 0 && sent > rate * clock.Elapsed.TotalSeconds)
            {
                Thread.Sleep(1);
                continue;
            }

            int n = Math.Min(batch, _count - next);
            int r = SendMmsg(_fd, _msgs + (next * MmsgHdrSize), (uint)n, 0);
            if (r > 0)
            {
                sent += r;
                next = (next + r) % _count;
            }
            else
            {
                // ENOBUFS and the like: the sender outran the qdisc; count and go on.
                errors++;
                next = (next + n) % _count;
            }
        }

        return (sent, errors);
    }

    public void Dispose()
    {
        _ = Close(_fd);
        NativeMemory.Free(_frames);
        NativeMemory.Free(_iovecs);
        NativeMemory.Free(_msgs);
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static partial int Connect(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMmsg(int fd, byte* msgs, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
