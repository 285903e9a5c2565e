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
    public const int ENoEnt = 2;
    public const int EExist = 17;
    public const int EConnRefused = 111;

    /// <summary>SO_PEERCRED: struct ucred {int pid; uint uid; uint gid} of the process that connected (socket(7)).</summary>
    public const int SoPeerCred = 17;

    /// <summary>SO_PEERGROUPS: the supplementary groups (gid_t[]) the peer had when it connected (Linux 4.13).</summary>
    public const int SoPeerGroups = 59;

    /// <summary>AT_FDCWD and AT_SYMLINK_NOFOLLOW of the *at(2) calls.</summary>
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;

    /// <summary>statx(2) mask: STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID | STATX_INO.</summary>
    public const uint StatxBasic = 0x1 | 0x2 | 0x8 | 0x10 | 0x100;

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

    [LibraryImport("libc", EntryPoint = "getegid")]
    internal static partial uint GetEffectiveGroupId();

    /// <summary>statx(2); <paramref name="buffer"/> is a struct statx (256 bytes, the same layout on every architecture).</summary>
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int dirFd, string path, int flags, uint mask, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MakeDirectory(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ChangeMode(string path, uint mode);

    /// <summary>fchmod(2). On a Unix socket before bind(2), Linux creates the socket file with this mode (less the umask).</summary>
    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int ChangeModeOfDescriptor(nint fd, uint mode);

    /// <summary>lchown(2): never follows a symbolic link. uint.MaxValue leaves the owner or group as it is.</summary>
    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ChangeOwner(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Rename(string from, string to);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Unlink(string path);

    /// <summary>getgrnam(3): a struct group* (gr_name, gr_passwd, gr_gid, gr_mem) or null.</summary>
    [LibraryImport("libc", EntryPoint = "getgrnam", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GetGroupByName(string name);

    /// <summary>getgrgid(3): a struct group* or null.</summary>
    [LibraryImport("libc", EntryPoint = "getgrgid", SetLastError = true)]
    internal static partial nint GetGroupById(uint gid);

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
