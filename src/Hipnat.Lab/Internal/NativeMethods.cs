using System.Runtime.InteropServices;

namespace Hipnat.Lab.Internal;

/// <summary>The few libc calls the lab needs (Linux only).</summary>
internal static partial class NativeMethods
{
    public const int CloneNewNet = 0x40000000;
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int AfNetlink = 16;
    public const int SockRaw = 3;
    public const int SockCloexec = 0x80000;
    public const int NetlinkNetfilter = 12;
    public const int AfPacket = 17;

    /// <summary>setns(2): moves the calling thread into the namespace behind <paramref name="fd"/>.</summary>
    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    internal static partial int SetNamespace(int fd, int nsType);

    /// <summary>kill(2); a negative pid signals the whole process group.</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    internal static partial nint Send(int fd, ReadOnlySpan<byte> buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    internal static partial nint SendTo(int fd, ReadOnlySpan<byte> buffer, nuint length, int flags, ReadOnlySpan<byte> address, int addressLength);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    internal static partial nint Receive(int fd, Span<byte> buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);
}
