using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Hipnat.Runtime.Netlink;

/// <summary>
/// Reads rtnetlink datagrams (netlink(7), rtnetlink(7)) and builds dump requests. Fields are in host byte order.
/// Untrusted input never throws: a message that breaks the framing or is too short for its type is counted as
/// malformed and skipped; a broken nlmsghdr length ends the datagram (nothing after it can be framed).
/// </summary>
public static class NetlinkParser
{
    public const int HeaderLength = 16;
    public const ushort NlmsgNoop = 1;
    public const ushort NlmsgError = 2;
    public const ushort NlmsgDone = 3;
    public const ushort NlmsgOverrun = 4;
    public const ushort RtmNewLink = 16;
    public const ushort RtmDelLink = 17;
    public const ushort RtmGetLink = 18;
    public const ushort RtmNewAddr = 20;
    public const ushort RtmDelAddr = 21;
    public const ushort RtmGetAddr = 22;
    public const ushort RtmNewRoute = 24;
    public const ushort RtmDelRoute = 25;
    public const ushort NlmFRequest = 0x1;
    public const ushort NlmFMulti = 0x2;
    public const ushort NlmFDump = 0x300;

    public const ushort IflaIfname = 3;
    public const ushort IflaOperstate = 16;
    public const ushort IfaAddress = 1;
    public const ushort IfaLocal = 2;
    public const ushort IfaFlags = 8;

    /// <summary>sizeof(struct ifinfomsg).</summary>
    public const int IfInfoLength = 16;

    /// <summary>sizeof(struct ifaddrmsg).</summary>
    public const int IfAddrLength = 8;

    /// <summary>sizeof(struct rtmsg).</summary>
    public const int RtMsgLength = 12;

    private const int AfInet = 2;
    private const int AfInet6 = 10;

    /// <summary>
    /// Appends the messages of one datagram to <paramref name="into"/>; returns how many were malformed (skipped).
    /// </summary>
    public static int Parse(ReadOnlySpan<byte> datagram, List<NetlinkMessage> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        int malformed = 0;
        while (datagram.Length > 0)
        {
            if (datagram.Length < HeaderLength)
            {
                return malformed + 1;
            }

            uint length = Read32(datagram);
            if (length < HeaderLength || length > (uint)datagram.Length)
            {
                return malformed + 1;
            }

            var message = datagram[..(int)length];
            if (TryParseMessage(message, out var parsed))
            {
                if (parsed.Kind != NetlinkMessageKind.Other || Read16(message[4..]) != NlmsgNoop)
                {
                    into.Add(parsed);
                }
            }
            else
            {
                malformed++;
            }

            // NLMSG_ALIGN: messages start on 4-octet boundaries.
            int next = Align((int)length);
            datagram = next >= datagram.Length ? [] : datagram[next..];
        }

        return malformed;
    }

    /// <summary>An RTM_GETLINK or RTM_GETADDR dump request for every family (AF_UNSPEC), as one datagram.</summary>
    public static byte[] DumpRequest(ushort type, uint sequence)
    {
        int body = type == RtmGetLink ? IfInfoLength : IfAddrLength;
        var request = new byte[HeaderLength + body];
        var span = request.AsSpan();
        Write32(span, (uint)request.Length);
        Write16(span[4..], type);
        Write16(span[6..], NlmFRequest | NlmFDump);
        Write32(span[8..], sequence);
        return request;
    }

    private static bool TryParseMessage(ReadOnlySpan<byte> message, out NetlinkMessage parsed)
    {
        ushort type = Read16(message[4..]);
        ushort flags = Read16(message[6..]);
        uint seq = Read32(message[8..]);
        var payload = message[HeaderLength..];
        parsed = default;
        switch (type)
        {
            case NlmsgDone:
                parsed = new NetlinkMessage(NetlinkMessageKind.Done, seq, flags);
                return true;
            case NlmsgOverrun:
                parsed = new NetlinkMessage(NetlinkMessageKind.Overrun, seq, flags);
                return true;
            case NlmsgError:
                if (payload.Length < 4)
                {
                    return false;
                }

                parsed = new NetlinkMessage(NetlinkMessageKind.Error, seq, flags, Error: (int)Read32(payload));
                return true;
            case RtmNewLink or RtmDelLink:
                if (!TryParseLink(payload, out var link))
                {
                    return false;
                }

                parsed = new NetlinkMessage(type == RtmNewLink ? NetlinkMessageKind.NewLink : NetlinkMessageKind.DeleteLink, seq, flags, Link: link);
                return true;
            case RtmNewAddr or RtmDelAddr:
                if (!TryParseAddress(payload, out var address, out bool known))
                {
                    return false;
                }

                parsed = known
                    ? new NetlinkMessage(type == RtmNewAddr ? NetlinkMessageKind.NewAddress : NetlinkMessageKind.DeleteAddress, seq, flags, Address: address)
                    : new NetlinkMessage(NetlinkMessageKind.Other, seq, flags);
                return true;
            case RtmNewRoute or RtmDelRoute:
                if (payload.Length < RtMsgLength)
                {
                    return false;
                }

                parsed = new NetlinkMessage(NetlinkMessageKind.RouteChange, seq, flags);
                return true;
            default:
                parsed = new NetlinkMessage(NetlinkMessageKind.Other, seq, flags);
                return true;
        }
    }

    /// <summary>struct ifinfomsg { u8 family, pad; u16 type; s32 index; u32 flags, change; } then IFLA_* attributes.</summary>
    private static bool TryParseLink(ReadOnlySpan<byte> payload, out InterfaceLink? link)
    {
        link = null;
        if (payload.Length < IfInfoLength)
        {
            return false;
        }

        int index = (int)Read32(payload[4..]);
        uint flags = Read32(payload[8..]);
        string name = string.Empty;
        byte operState = InterfaceLink.OperUnknown;
        var attributes = payload[IfInfoLength..];
        for (int consumed; TryNextAttribute(attributes, out ushort type, out var value, out consumed); attributes = attributes[consumed..])
        {
            switch (type)
            {
                case IflaIfname:
                    int end = value.IndexOf((byte)0);
                    name = Encoding.UTF8.GetString(end >= 0 ? value[..end] : value);
                    break;
                case IflaOperstate when value.Length >= 1:
                    operState = value[0];
                    break;
            }
        }

        if (attributes.Length != 0)
        {
            return false;
        }

        link = new InterfaceLink(index, name, flags, operState);
        return true;
    }

    /// <summary>
    /// struct ifaddrmsg { u8 family, prefixlen, flags, scope; u32 index; } then IFA_* attributes. IFA_FLAGS, when
    /// present, carries all 32 flag bits (ifa_flags has only the low 8). <paramref name="known"/> is false for a
    /// family other than IPv4 and IPv6.
    /// </summary>
    private static bool TryParseAddress(ReadOnlySpan<byte> payload, out InterfaceAddress? address, out bool known)
    {
        address = null;
        known = false;
        if (payload.Length < IfAddrLength)
        {
            return false;
        }

        byte family = payload[0];
        byte prefix = payload[1];
        uint flags = payload[2];
        byte scope = payload[3];
        int index = (int)Read32(payload[4..]);
        int size = family switch { AfInet => 4, AfInet6 => 16, _ => 0 };
        ReadOnlySpan<byte> local = payload[..0], peer = payload[..0];
        var attributes = payload[IfAddrLength..];
        for (int consumed; TryNextAttribute(attributes, out ushort type, out var value, out consumed); attributes = attributes[consumed..])
        {
            switch (type)
            {
                case IfaLocal:
                    local = value;
                    break;
                case IfaAddress:
                    peer = value;
                    break;
                case IfaFlags when value.Length >= 4:
                    flags = Read32(value);
                    break;
            }
        }

        if (attributes.Length != 0)
        {
            return false;
        }

        if (size == 0)
        {
            return true;
        }

        var bytes = local.IsEmpty ? peer : local;
        if (bytes.Length != size || (family == AfInet && prefix > 32) || prefix > 128)
        {
            return false;
        }

        var ip = new IPAddress(bytes);
        if (ip.IsIPv6LinkLocal)
        {
            ip.ScopeId = (uint)index;
        }

        address = new InterfaceAddress(index, ip, prefix, flags, scope);
        known = true;
        return true;
    }

    /// <summary>
    /// struct rtattr { u16 len; u16 type; } then len - 4 octets, padded to 4 (<paramref name="consumed"/> with the
    /// padding). False at the end or on a bad length; then the caller's remaining attributes are not empty.
    /// </summary>
    private static bool TryNextAttribute(ReadOnlySpan<byte> attributes, out ushort type, out ReadOnlySpan<byte> value, out int consumed)
    {
        type = 0;
        value = default;
        consumed = 0;
        if (attributes.Length < 4)
        {
            return false;
        }

        ushort length = Read16(attributes);
        if (length < 4 || length > attributes.Length)
        {
            return false;
        }

        type = (ushort)(Read16(attributes[2..]) & 0x3FFF); // NLA_F_NESTED and NLA_F_NET_BYTEORDER are not part of the type
        value = attributes[4..length];
        consumed = Math.Min(Align(length), attributes.Length);
        return true;
    }

    private static int Align(int length) => (length + 3) & ~3;

    private static ushort Read16(ReadOnlySpan<byte> s) => MemoryMarshal.Read<ushort>(s);

    private static uint Read32(ReadOnlySpan<byte> s) => MemoryMarshal.Read<uint>(s);

    private static void Write16(Span<byte> s, ushort v) => MemoryMarshal.Write(s, in v);

    private static void Write32(Span<byte> s, uint v) => MemoryMarshal.Write(s, in v);
}
