using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Hipnat.Runtime.Transports;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// A batch of raw ESP packets (IP protocol 50) to one destination in one sendmmsg(2) on Linux: one message per
/// datagram, each with one iovec on its buffer (pinned, as for <see cref="UdpGso"/>) and the route's serialized
/// destination; the kernel builds each IP header. Raw IP sockets have no segmentation offload, so this is how a
/// burst for a raw HIP association leaves without a system call per packet. Layouts are those of LP64 Linux.
/// </summary>
internal static unsafe class RawEspBatch
{
    /// <summary>Most messages per call (the message and iovec arrays live on the stack).</summary>
    public const int MaxMessages = 64;

    /// <summary>ENOSYS: no sendmmsg in this kernel.</summary>
    public const int ENoSys = 38;

    private const int EIntr = 4;

    /// <summary>True where it can be tried (64-bit Linux).</summary>
    public static bool IsSupported => SocketMessage.IsSupported;

    /// <summary>
    /// Sends the first (up to <see cref="MaxMessages"/>) of <paramref name="datagrams"/> to <paramref name="destination"/>
    /// in one sendmmsg, retried on EINTR. Returns how many went — the kernel stops at the first that fails, which the
    /// next call then reports — or -1 with <paramref name="errno"/> when the first one failed.
    /// </summary>
    public static int Send(Socket socket, SocketAddress destination, ReadOnlySpan<EspDatagram> datagrams, out int errno)
    {
        errno = 0;
        int count = Math.Min(datagrams.Length, MaxMessages);
        if (count == 0)
        {
            return 0;
        }

        var iov = stackalloc SocketMessage.IoVec[count];
        var messages = stackalloc SocketMessage.MMsgHdr[count];
        bool added = false;
        var handle = socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            fixed (byte* name = destination.Buffer.Span)
            {
                for (int i = 0; i < count; i++)
                {
                    var d = datagrams[i];
                    iov[i].Base = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(d.Buffer)) + d.Offset;
                    iov[i].Length = (nuint)d.Length;
                    messages[i] = new SocketMessage.MMsgHdr
                    {
                        Header = new SocketMessage.MsgHeader
                        {
                            Name = name,
                            NameLength = (uint)destination.Size,
                            Iov = iov + i,
                            IovLength = 1,
                        },
                    };
                }

                while (true)
                {
                    int r = SocketMessage.SendMMsg((int)handle.DangerousGetHandle(), messages, (uint)count, 0);
                    if (r >= 0)
                    {
                        return r;
                    }

                    errno = Marshal.GetLastPInvokeError();
                    if (errno != EIntr)
                    {
                        return -1;
                    }
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
