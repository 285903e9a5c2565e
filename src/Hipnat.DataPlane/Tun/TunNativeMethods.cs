using System.Runtime.InteropServices;

namespace Hipnat.DataPlane.Tun;

/// <summary>The libc calls the TUN device needs (Linux).</summary>
internal static unsafe partial class TunNativeMethods
{
    public const int ORdWr = 0x2;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;

    /// <summary>TUNSETIFF = _IOW('T', 202, int) (linux/if_tun.h).</summary>
    public const nuint TunSetIff = 0x400454CA;
    public const short IffTun = 0x0001;

    /// <summary>IFF_VNET_HDR: every read and write starts with a struct virtio_net_hdr.</summary>
    public const short IffVnetHdr = 0x4000;

    /// <summary>TUNSETOFFLOAD = _IOW('T', 208, unsigned int); the flags are passed by value.</summary>
    public const nuint TunSetOffload = 0x400454D0;

    /// <summary>TUNSETVNETHDRSZ = _IOW('T', 216, int); a pointer to the size.</summary>
    public const nuint TunSetVnetHdrSz = 0x400454D8;
    public const short IffNoPi = 0x1000;
    public const short IffMultiQueue = 0x0100;

    /// <summary>struct ifreq: a 16-octet name and a 24-octet union (ifr_flags is its first short).</summary>
    public const int IfReqSize = 40;
    public const int IfNameSize = 16;

    public const short PollIn = 0x001;
    public const short PollOut = 0x004;
    public const short PollErr = 0x008;
    public const short PollHup = 0x010;

    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int EInval = 22;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, byte* argument);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();
}
