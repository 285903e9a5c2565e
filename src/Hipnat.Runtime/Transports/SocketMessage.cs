using System.Runtime.InteropServices;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// The one P/Invoke surface for sendmsg(2) / recvmsg(2) with control messages (Linux x86-64 layouts): used for
/// IP_PKTINFO sources (<see cref="PacketInfoSender"/>), destination addresses and UDP_GRO sizes
/// (<see cref="PacketInfoReceiver"/>), and UDP_SEGMENT batches (<c>DataPlane.UdpGso</c>).
/// </summary>
internal static unsafe partial class SocketMessage
{
    /// <summary>sizeof(struct cmsghdr): cmsg_len (8), cmsg_level (4), cmsg_type (4).</summary>
    public const int CmsgHeaderSize = 16;

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int socket, MsgHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial long RecvMsg(int socket, MsgHeader* message, int flags);

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHeader
    {
        public byte* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
