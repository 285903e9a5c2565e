using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// Sends from a chosen source address on a wildcard-bound UDP socket (Linux): sendmsg(2) with an IP_PKTINFO
/// (struct in_pktinfo, ipi_spec_dst = the source) or IPV6_PKTINFO (struct in6_pktinfo, ipi6_addr = the source)
/// control message. Without it the kernel picks the source by routing, and a host with several interfaces would
/// send an ICE check or ESP from another address than the candidate's base. The control message is written into a
/// caller-owned buffer (stack or route), so a send allocates nothing. Layouts are those of LP64 Linux (x86-64, arm64).
/// </summary>
internal static unsafe partial class PacketInfoSender
{
    /// <summary>CMSG_SPACE(sizeof(struct in_pktinfo)).</summary>
    public const int IPv4ControlSize = 32;

    /// <summary>CMSG_SPACE(sizeof(struct in6_pktinfo)).</summary>
    public const int IPv6ControlSize = 40;

    /// <summary>Room for either control message.</summary>
    public const int MaxControlSize = IPv6ControlSize;

    private const int EIntr = 4;
    private const int CmsgHeaderSize = SocketMessage.CmsgHeaderSize;
    private const int SolIp = 0;
    private const int IpPktInfo = 8;
    private const int SolIPv6 = 41;
    private const int IPv6PktInfo = 50;

    /// <summary>True where sends can pick their source this way (64-bit Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8;

    /// <summary>
    /// True when a socket of <paramref name="socketFamily"/> bound to a wildcard address needs a control message to
    /// send from <paramref name="source"/>: a concrete address of the socket's family.
    /// </summary>
    public static bool Applies(IPAddress? source, AddressFamily socketFamily) =>
        IsSupported && source is not null && source.AddressFamily == socketFamily
        && !source.Equals(IPAddress.Any) && !source.Equals(IPAddress.IPv6Any) && !source.IsIPv4MappedToIPv6;

    /// <summary>
    /// Writes the IP_PKTINFO / IPV6_PKTINFO control message naming <paramref name="source"/> into
    /// <paramref name="control"/> (at least <see cref="MaxControlSize"/> octets) and returns its length; 0 when the
    /// address cannot be written. A link-local IPv6 source keeps its scope as the outgoing interface.
    /// </summary>
    public static int WriteControl(IPAddress source, Span<byte> control)
    {
        if (source.AddressFamily == AddressFamily.InterNetwork)
        {
            control[..IPv4ControlSize].Clear();
            WriteHeader(control, CmsgHeaderSize + 12, SolIp, IpPktInfo);

            // struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; }
            return source.TryWriteBytes(control.Slice(CmsgHeaderSize + 4, 4), out _) ? IPv4ControlSize : 0;
        }

        if (source.AddressFamily == AddressFamily.InterNetworkV6)
        {
            control[..IPv6ControlSize].Clear();
            WriteHeader(control, CmsgHeaderSize + 20, SolIPv6, IPv6PktInfo);

            // struct in6_pktinfo { struct in6_addr ipi6_addr; unsigned int ipi6_ifindex; }
            if (!source.TryWriteBytes(control.Slice(CmsgHeaderSize, 16), out _))
            {
                return 0;
            }

            if (source.IsIPv6LinkLocal)
            {
                MemoryMarshal.Write(control[(CmsgHeaderSize + 16)..], (uint)source.ScopeId);
            }

            return IPv6ControlSize;
        }

        return 0;
    }

    /// <summary>
    /// The control message for sending from <paramref name="local"/> on <paramref name="socket"/>, for a route that
    /// keeps it: null when the socket is bound to a specific address (it already sends from it), when
    /// <paramref name="local"/> is a wildcard or of the other family, or when it is not an address of this host (a
    /// relayed or reflexive address; the kernel then picks the source as before).
    /// </summary>
    public static byte[]? ControlFor(Socket socket, IPAddress? local)
    {
        if (!Applies(local, socket.AddressFamily) || socket.LocalEndPoint is not IPEndPoint bound
            || !(bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any)))
        {
            return null;
        }

        try
        {
            // Assigned here? Binding a throwaway socket to it is the kernel's own answer.
            using var probe = new Socket(local!.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(local, 0));
        }
        catch (SocketException)
        {
            return null;
        }

        var control = new byte[MaxControlSize];
        int length = WriteControl(local, control);
        return length == 0 ? null : control[..length];
    }

    /// <summary>
    /// Sends <paramref name="payload"/> to <paramref name="destination"/> with <paramref name="control"/> (from
    /// <see cref="WriteControl"/>) in one sendmsg(2). Returns 0 on success, else errno (EINVAL, EADDRNOTAVAIL or
    /// ENETUNREACH, depending on the route, when the source is not an address of this host).
    /// </summary>
    public static int SendTo(SafeSocketHandle handle, ReadOnlySpan<byte> payload, SocketAddress destination, ReadOnlySpan<byte> control)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            fixed (byte* p = payload)
            fixed (byte* name = destination.Buffer.Span)
            fixed (byte* c = control)
            {
                var iov = new SocketMessage.IoVec { Base = p, Length = (nuint)payload.Length };
                var msg = new SocketMessage.MsgHeader
                {
                    Name = name,
                    NameLength = (uint)destination.Size,
                    Iov = &iov,
                    IovLength = 1,
                    Control = c,
                    ControlLength = (nuint)control.Length,
                };
                while (true)
                {
                    if (SocketMessage.SendMsg((int)handle.DangerousGetHandle(), &msg, 0) >= 0)
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

    private static void WriteHeader(Span<byte> control, ulong length, int level, int type)
    {
        MemoryMarshal.Write(control, length);           // cmsg_len = CMSG_LEN(data)
        MemoryMarshal.Write(control[8..], level);       // cmsg_level
        MemoryMarshal.Write(control[12..], type);       // cmsg_type
    }
}
