using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Hipnat.Runtime.Transports;

namespace Hipnat.Runtime.DataPlane;

/// <summary>
/// UDP generic segmentation offload on Linux (UDP_SEGMENT, kernel 4.18+): one sendmsg(2) carries a run of
/// datagrams of equal size (the last may be shorter) to one destination, and the kernel (or the NIC) cuts them
/// apart. A burst of full-size ESP packets for one peer then costs one trip through the socket layer instead of one
/// per packet. The datagrams are gathered with an iovec per buffer, so the buffers must be pinned. Layouts are
/// those of LP64 Linux (x86-64, arm64).
/// </summary>
internal static unsafe partial class UdpGso
{
    /// <summary>Most segments per send (UDP_MAX_SEGMENTS is 64 on older kernels, 128 on newer).</summary>
    public const int MaxSegments = 64;

    /// <summary>Most payload octets per send: a UDP datagram over IPv6 or IPv4 carries at most 65507; stay below.</summary>
    public const int MaxBytes = 60000;

    private const int SolUdp = 17;
    private const int UdpSegment = 103;
    private const int EIntr = 4;

    /// <summary>True where it can be tried (64-bit Linux); a kernel without it fails the first send, see <see cref="Send"/>.</summary>
    public static bool IsSupported => SocketMessage.IsSupported;

    /// <summary>
    /// Sends <paramref name="datagrams"/> (all of <paramref name="segmentSize"/> octets but the last, which may be
    /// shorter; pinned buffers) to <paramref name="destination"/> in one sendmsg, with <paramref name="sourceControl"/>
    /// (an IP_PKTINFO / IPV6_PKTINFO control message naming the source, or empty) after the segment size. Returns 0 on
    /// success, else errno.
    /// </summary>
    public static int Send(Socket socket, SocketAddress destination, ReadOnlySpan<EspDatagram> datagrams, int segmentSize,
        ReadOnlySpan<byte> sourceControl = default)
    {
        if (datagrams.Length > MaxSegments)
        {
            throw new ArgumentOutOfRangeException(nameof(datagrams), datagrams.Length, $"at most {MaxSegments} segments");
        }

        var iov = stackalloc SocketMessage.IoVec[datagrams.Length];
        for (int i = 0; i < datagrams.Length; i++)
        {
            var d = datagrams[i];
            iov[i].Base = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(d.Buffer)) + d.Offset;
            iov[i].Length = (nuint)d.Length;
        }

        if (sourceControl.Length > PacketInfoSender.MaxControlSize)
        {
            throw new ArgumentOutOfRangeException(nameof(sourceControl), sourceControl.Length, "not a packet information control message");
        }

        const int SegmentControlSize = 24;  // CMSG_SPACE(sizeof(uint16_t))
        byte* control = stackalloc byte[SegmentControlSize + PacketInfoSender.MaxControlSize];
        new Span<byte>(control, SegmentControlSize).Clear();
        sourceControl.CopyTo(new Span<byte>(control + SegmentControlSize, sourceControl.Length));
        *(ulong*)control = 18;                   // CMSG_LEN(sizeof(uint16_t))
        *(int*)(control + 8) = SolUdp;
        *(int*)(control + 12) = UdpSegment;
        *(ushort*)(control + 16) = (ushort)segmentSize;

        bool added = false;
        var handle = socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            fixed (byte* name = destination.Buffer.Span)
            {
                var msg = new SocketMessage.MsgHeader
                {
                    Name = name,
                    NameLength = (uint)destination.Size,
                    Iov = iov,
                    IovLength = (nuint)datagrams.Length,
                    Control = control,
                    ControlLength = (nuint)(SegmentControlSize + sourceControl.Length),
                };
                while (true)
                {
                    nint r = SocketMessage.SendMsg((int)handle.DangerousGetHandle(), &msg, 0);
                    if (r >= 0)
                    {
                        return 0;
                    }

                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != EIntr)
                    {
                        return errno;
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

/// <summary>One sealed ESP datagram in a buffer (for batch sends).</summary>
public readonly record struct EspDatagram(byte[] Buffer, int Offset, int Length)
{
    public ReadOnlySpan<byte> Span => Buffer.AsSpan(Offset, Length);
}
