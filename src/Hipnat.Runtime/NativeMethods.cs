using System.Runtime.InteropServices;

namespace Hipnat.Runtime;

/// <summary>The few libc calls the runtime needs (Linux).</summary>
internal static partial class NativeMethods
{
    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int AfNetlink = 16;
    public const int SockRaw = 3;

    /// <summary>SOCK_CLOEXEC: not inherited by child processes, and lets .NET unblock a pending receive when the socket is disposed.</summary>
    public const int SockCloexec = 0x80000;
    public const int EPerm = 1;
    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int EAcces = 13;
    public const int ENoBufs = 105;

    /// <summary>NETLINK_ROUTE: the rtnetlink family (netlink(7)).</summary>
    public const int NetlinkRoute = 0;
    public const int SolSocket = 1;
    public const int SoRcvBuf = 8;
    public const int SoRcvTimeo = 20;
    public const int MsgDontWait = 0x40;

    /// <summary>MSG_TRUNC on a netlink recv: return the datagram's real length even when the buffer was smaller (netlink(7)).</summary>
    public const int MsgTrunc = 0x20;
    public const short PollIn = 0x1;
    public const int EfdCloexec = 0x80000;
    public const int EfdNonBlock = 0x800;

    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();

    /// <summary>socket(2). .NET's Socket constructor rejects protocol numbers it does not know (such as 139), so raw HIP sockets are made here.</summary>
    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    internal static partial int CreateSocket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, ReadOnlySpan<byte> address, int addressLength);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSocketOption(int fd, int level, int name, ReadOnlySpan<byte> value, int valueLength);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    internal static partial nint Send(int fd, ReadOnlySpan<byte> buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    internal static partial nint Receive(int fd, Span<byte> buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, ReadOnlySpan<byte> buffer, nuint length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary>eventfd(2): the netlink monitor's stop signal, polled next to its socket.</summary>
    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initial, int flags);

    /// <summary>poll(2) over <paramref name="fds"/> (struct pollfd: int fd, short events, short revents).</summary>
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(Span<PollFd> fds, nuint count, int timeoutMs);

    /// <summary>struct pollfd of poll(2).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }
}
