using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Hipnat.Runtime.Netlink;

/// <summary>
/// A NETLINK_ROUTE socket (netlink(7)): socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) bound with the kernel choosing
/// the port id and joining <c>groups</c> (RTMGRP_* bits). .NET's <see cref="System.Net.Sockets.Socket"/> has no
/// AF_NETLINK, so this is libc. The socket belongs to the network namespace of the thread that opens it.
/// </summary>
internal sealed class NetlinkSocket : IDisposable
{
    private int _fd;

    private NetlinkSocket(int fd) => _fd = fd;

    public int Fd => _fd;

    /// <summary>Opens and binds the socket. Throws <see cref="IOException"/> naming the failing call and errno.</summary>
    public static NetlinkSocket Open(uint groups, int receiveBuffer)
    {
        int fd = NativeMethods.CreateSocket(NativeMethods.AfNetlink, NativeMethods.SockRaw | NativeMethods.SockCloexec, NativeMethods.NetlinkRoute);
        if (fd < 0)
        {
            throw Failure("socket(AF_NETLINK, NETLINK_ROUTE)");
        }

        var socket = new NetlinkSocket(fd);
        try
        {
            if (receiveBuffer > 0)
            {
                // A larger buffer makes an overrun (ENOBUFS) in a burst of changes less likely; the kernel may cap it.
                Span<byte> size = stackalloc byte[4];
                MemoryMarshal.Write(size, in receiveBuffer);
                _ = NativeMethods.SetSocketOption(fd, NativeMethods.SolSocket, NativeMethods.SoRcvBuf, size, 4);
            }

            // struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; u32 nl_pid; u32 nl_groups; }
            Span<byte> address = stackalloc byte[12];
            address.Clear();
            ushort family = NativeMethods.AfNetlink;
            MemoryMarshal.Write(address, in family);
            MemoryMarshal.Write(address[8..], in groups);
            if (NativeMethods.Bind(fd, address, address.Length) != 0)
            {
                throw Failure("bind(AF_NETLINK)");
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>SO_RCVTIMEO: a blocking receive gives up (EAGAIN) after this long.</summary>
    public void SetReceiveTimeout(TimeSpan timeout)
    {
        // struct timeval { time_t tv_sec; suseconds_t tv_usec; } — both native longs on Linux.
        Span<byte> value = stackalloc byte[2 * IntPtr.Size];
        nint seconds = (nint)timeout.TotalSeconds;
        nint micros = (nint)(timeout.Ticks % TimeSpan.TicksPerSecond / 10);
        MemoryMarshal.Write(value, in seconds);
        MemoryMarshal.Write(value[IntPtr.Size..], in micros);
        if (NativeMethods.SetSocketOption(_fd, NativeMethods.SolSocket, NativeMethods.SoRcvTimeo, value, value.Length) != 0)
        {
            throw Failure("setsockopt(SO_RCVTIMEO)");
        }
    }

    /// <summary>Sends one request to the kernel. Throws <see cref="IOException"/>.</summary>
    public void Send(ReadOnlySpan<byte> request)
    {
        while (true)
        {
            if (NativeMethods.Send(_fd, request, (nuint)request.Length, 0) >= 0)
            {
                return;
            }

            if (Marshal.GetLastPInvokeError() != NativeMethods.EIntr)
            {
                throw Failure("send(AF_NETLINK)");
            }
        }
    }

    /// <summary>
    /// Receives one datagram. Returns its real length (MSG_TRUNC: larger than the buffer when it did not fit), or -1
    /// with <paramref name="errno"/> set (EAGAIN: nothing queued or the timeout passed; ENOBUFS: the socket
    /// overran and notifications were lost).
    /// </summary>
    public int Receive(Span<byte> buffer, bool dontWait, out int errno)
    {
        int flags = NativeMethods.MsgTrunc | (dontWait ? NativeMethods.MsgDontWait : 0);
        while (true)
        {
            var n = NativeMethods.Receive(_fd, buffer, (nuint)buffer.Length, flags);
            if (n >= 0)
            {
                errno = 0;
                return (int)n;
            }

            errno = Marshal.GetLastPInvokeError();
            if (errno != NativeMethods.EIntr)
            {
                return -1;
            }
        }
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = NativeMethods.Close(fd);
        }
    }

    internal static IOException Failure(string call)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"netlink: {call} failed: {new Win32Exception(errno).Message} (errno {errno})");
    }
}
