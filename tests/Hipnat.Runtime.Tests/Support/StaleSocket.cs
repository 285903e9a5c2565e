using System.Runtime.InteropServices;
using System.Text;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>
/// Leaves a Unix socket file that nobody listens on, as a daemon killed with SIGKILL does (.NET removes the files
/// of the sockets it binds when they are disposed, so this binds and closes one with libc).
/// </summary>
public static partial class StaleSocket
{
    private const int AfUnix = 1;
    private const int SockStream = 1;

    public static void Create(string path)
    {
        var name = Encoding.UTF8.GetBytes(path);
        var address = new byte[2 + 108]; // struct sockaddr_un: sa_family_t, then sun_path with its NUL
        BitConverter.TryWriteBytes(address, (ushort)AfUnix);
        name.CopyTo(address, 2);
        int fd = Socket(AfUnix, SockStream, 0);
        Assert.True(fd >= 0, $"socket failed: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            Assert.True(Bind(fd, address, address.Length) == 0, $"bind {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte[] address, int length);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
