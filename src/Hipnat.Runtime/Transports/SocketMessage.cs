using System.Runtime.InteropServices;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// The one P/Invoke surface for sendmsg(2) / recvmsg(2) with control messages and their batched forms sendmmsg(2) /
/// recvmmsg(2) (LP64 Linux layouts: x86-64, arm64): used for IP_PKTINFO sources (<see cref="PacketInfoSender"/>),
/// destination addresses and UDP_GRO sizes (<see cref="PacketInfoReceiver"/>), UDP_SEGMENT batches
/// (<c>DataPlane.UdpGso</c>), and raw ESP batches (<c>DataPlane.RawEspBatch</c>, <see cref="RawEspTransport"/>).
/// </summary>
internal static unsafe partial class SocketMessage
{
    /// <summary>sizeof(struct cmsghdr): cmsg_len (8), cmsg_level (4), cmsg_type (4).</summary>
    public const int CmsgHeaderSize = 16;

    /// <summary>True where these layouts hold (64-bit Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8;

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int socket, MsgHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial long RecvMsg(int socket, MsgHeader* message, int flags);

    /// <summary>sendmmsg(2): returns how many of the <paramref name="count"/> messages went, or -1 with errno when the first failed.</summary>
    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMMsg(int socket, MMsgHdr* messages, uint count, int flags);

    /// <summary>recvmmsg(2) without its timeout argument (it is only checked between datagrams): returns how many
    /// messages arrived, or -1 with errno.</summary>
    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(int socket, MMsgHdr* messages, uint count, int flags, void* timeout);

    /// <summary>MSG_WAITFORONE: recvmmsg blocks (up to SO_RCVTIMEO) for the first datagram only, then takes what is queued.</summary>
    public const int MsgWaitForOne = 0x10000;

    /// <summary>MSG_TRUNC in a received message's flags: the datagram was longer than the buffer.</summary>
    public const int MsgTrunc = 0x20;

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

    /// <summary>struct mmsghdr: a msghdr and the octets sent or received for it (64 octets with the padding).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHeader Header;
        public uint Length;
    }
}
