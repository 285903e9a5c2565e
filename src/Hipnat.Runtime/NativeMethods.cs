using System.Runtime.InteropServices;

namespace Hipnat.Runtime;

/// <summary>The few libc calls the runtime needs (Linux).</summary>
internal static partial class NativeMethods
{
    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int SockRaw = 3;

    /// <summary>SOCK_CLOEXEC: not inherited by child processes, and lets .NET unblock a pending receive when the socket is disposed.</summary>
    public const int SockCloexec = 0x80000;
    public const int EPerm = 1;
    public const int EAcces = 13;

    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();

    /// <summary>socket(2). .NET's Socket constructor rejects protocol numbers it does not know (such as 139), so raw HIP sockets are made here.</summary>
    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    internal static partial int CreateSocket(int domain, int type, int protocol);
}
