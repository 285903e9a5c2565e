using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// recvmsg(2) with IP_PKTINFO / IPV6_PKTINFO on Linux, into caller-owned buffers. <see cref="Socket.ReceiveMessageFrom(Span{byte}, ref SocketFlags, ref System.Net.EndPoint, out IPPacketInformation)"/>
/// allocates a SocketAddress and an IPAddress for every datagram; this does not, so wildcard listeners stay
/// allocation-free. Layouts are those of LP64 Linux (x86-64, arm64).
/// </summary>
internal static unsafe partial class PacketInfoReceiver
{
    /// <summary>Room for a sockaddr_in6.</summary>
    public const int NameSize = 28;

    /// <summary>Room for one in6_pktinfo or in_pktinfo control message (and a spare).</summary>
    public const int ControlSize = 128;

    public const int MsgTrunc = 0x20;
    public const int EIntr = 4;
    public const int EAgain = 11;

    private const int SolIp = 0;
    private const int IpPktInfo = 8;
    private const int SolIPv6 = 41;
    private const int IPv6PktInfo = 50;
    private const int CmsgHeaderSize = SocketMessage.CmsgHeaderSize;

    /// <summary>SOL_UDP and its UDP_GRO option: receive coalesced datagrams.</summary>
    public const int SolUdp = 17;
    public const int UdpGro = 104;

    /// <summary>True where this receiver can be used (64-bit Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8;

    /// <summary>
    /// Receives one datagram. Returns its length, or -1 with <paramref name="errno"/> set. <paramref name="name"/> receives
    /// the sender's sockaddr and <paramref name="control"/> the ancillary data; their used lengths are returned.
    /// </summary>
    public static int Receive(SafeSocketHandle handle, Span<byte> buffer, Span<byte> name, Span<byte> control,
        out int nameLength, out int controlLength, out int flags, out int errno)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            fixed (byte* b = buffer)
            fixed (byte* n = name)
            fixed (byte* c = control)
            {
                var iov = new SocketMessage.IoVec { Base = b, Length = (nuint)buffer.Length };
                var msg = new SocketMessage.MsgHeader
                {
                    Name = n,
                    NameLength = (uint)name.Length,
                    Iov = &iov,
                    IovLength = 1,
                    Control = c,
                    ControlLength = (nuint)control.Length,
                };
                long r = SocketMessage.RecvMsg((int)handle.DangerousGetHandle(), &msg, 0);
                errno = r < 0 ? Marshal.GetLastPInvokeError() : 0;
                nameLength = (int)msg.NameLength;
                controlLength = (int)msg.ControlLength;
                flags = msg.Flags;
                return (int)r;
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

    /// <summary>The destination address (4 or 16 octets) from IP_PKTINFO / IPV6_PKTINFO ancillary data.</summary>
    public static bool TryGetDestination(ReadOnlySpan<byte> control, out ReadOnlySpan<byte> address)
    {
        int offset = 0;
        while (offset + CmsgHeaderSize <= control.Length)
        {
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(control[offset..]);
            int level = BinaryPrimitives.ReadInt32LittleEndian(control[(offset + 8)..]);
            int type = BinaryPrimitives.ReadInt32LittleEndian(control[(offset + 12)..]);
            if (length < CmsgHeaderSize || (ulong)offset + length > (ulong)control.Length)
            {
                break;
            }

            var data = control.Slice(offset + CmsgHeaderSize, (int)length - CmsgHeaderSize);
            if (level == SolIp && type == IpPktInfo && data.Length >= 12)
            {
                address = data.Slice(8, 4); // struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }
                return true;
            }

            if (level == SolIPv6 && type == IPv6PktInfo && data.Length >= 16)
            {
                address = data[..16]; // struct in6_pktinfo { in6_addr addr; unsigned ifindex; }
                return true;
            }

            offset += (int)((length + 7) & ~7UL);
        }

        address = default;
        return false;
    }

    /// <summary>
    /// The segment size of a coalesced receive (UDP_GRO ancillary data, Linux 5.0+): the buffer then holds several
    /// datagrams of that size from one sender, the last possibly shorter.
    /// </summary>
    public static bool TryGetGroSegmentSize(ReadOnlySpan<byte> control, out int size)
    {
        int offset = 0;
        while (offset + CmsgHeaderSize <= control.Length)
        {
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(control[offset..]);
            int level = BinaryPrimitives.ReadInt32LittleEndian(control[(offset + 8)..]);
            int type = BinaryPrimitives.ReadInt32LittleEndian(control[(offset + 12)..]);
            if (length < CmsgHeaderSize || (ulong)offset + length > (ulong)control.Length)
            {
                break;
            }

            if (level == SolUdp && type == UdpGro && length >= CmsgHeaderSize + 4)
            {
                size = BinaryPrimitives.ReadInt32LittleEndian(control[(offset + CmsgHeaderSize)..]);
                return size > 0;
            }

            offset += (int)((length + 7) & ~7UL);
        }

        size = 0;
        return false;
    }
}
