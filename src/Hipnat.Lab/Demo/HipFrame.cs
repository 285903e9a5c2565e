using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using Hipnat.Lab.Internal;

namespace Hipnat.Lab.Demo;

/// <summary>One UDP datagram of a capture, with where it was captured and, if it is HIP, its packet.</summary>
/// <param name="Time">Capture time (the kernel's timestamp, comparable across captures).</param>
/// <param name="Segment">A label for the segment the capturing interface sits on (e.g. "public", "alice LAN").</param>
/// <param name="Capture">The capturing host and interface, e.g. "relay/eth0".</param>
public sealed record HipFrame(DateTimeOffset Time, string Segment, string Capture, IPEndPoint Source, IPEndPoint Destination, byte[] Payload, HipPacketView? Hip, int? TsharkPacketType)
{
    /// <summary>A key equal for the same datagram seen at different places (UDP payloads cross NATs unchanged).</summary>
    public string PayloadKey { get; } = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Payload), 0, 12);

    /// <summary>
    /// Reads every UDP datagram of a capture with tshark (<c>-d udp.port==10500,hip</c>); HIP packets (RFC 9028 §5.1 framing:
    /// 32 zero bits, then the HIP header) are parsed from the payload so that parameters tshark 4.0 does not know show too.
    /// </summary>
    public static IReadOnlyList<HipFrame> Read(string pcap, string segment, string capture)
    {
        if (!File.Exists(pcap))
        {
            return [];
        }

        var result = CommandRunner.Run("tshark",
        [
            "-n", "-r", pcap, "-d", $"udp.port=={HipnatTool.Port.ToString(CultureInfo.InvariantCulture)},hip", "-Y", "udp && !icmp",
            "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
            "-e", "frame.time_epoch", "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport",
            "-e", "hip.packet_type", "-e", "udp.payload",
        ], TimeSpan.FromSeconds(60)).EnsureSuccess();
        var frames = new List<HipFrame>();
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.TrimEnd('\r').Split('\t');
            if (f.Length < 7 || !decimal.TryParse(f[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var epoch)
                || !IPAddress.TryParse(f[1], out var src) || !IPAddress.TryParse(f[3], out var dst)
                || !int.TryParse(f[2], CultureInfo.InvariantCulture, out var sport) || !int.TryParse(f[4], CultureInfo.InvariantCulture, out var dport))
            {
                continue;
            }

            var payload = f[6].Length > 0 ? Convert.FromHexString(f[6].Replace(":", string.Empty, StringComparison.Ordinal)) : [];
            int? type = int.TryParse(f[5], CultureInfo.InvariantCulture, out var t) ? t : null;
            var time = DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks((long)(epoch * TimeSpan.TicksPerSecond));
            frames.Add(new HipFrame(time, segment, capture, new IPEndPoint(src, sport), new IPEndPoint(dst, dport), payload,
                HipPacketView.TryParseUdp(payload), type));
        }

        return frames;
    }
}

/// <summary>A HIP packet read from a UDP payload, enough to describe it: type, HITs and parameters.</summary>
public sealed class HipPacketView
{
    private HipPacketView(int type, IPAddress sender, IPAddress receiver, IReadOnlyList<(int Type, byte[] Value)> parameters)
    {
        Type = type;
        SenderHit = sender;
        ReceiverHit = receiver;
        Parameters = parameters;
    }

    /// <summary>The packet type (RFC 7401 §5.3: 1 I1, 2 R1, 3 I2, 4 R2, 16 UPDATE, 17 NOTIFY, 18 CLOSE, 19 CLOSE_ACK).</summary>
    public int Type { get; }

    public IPAddress SenderHit { get; }

    public IPAddress ReceiverHit { get; }

    /// <summary>Parameters in order: type and contents (without the TLV header and padding).</summary>
    public IReadOnlyList<(int Type, byte[] Value)> Parameters { get; }

    public string TypeName => PacketTypeName(Type);

    public bool Has(int parameterType) => Parameters.Any(p => p.Type == parameterType);

    public byte[]? Get(int parameterType) => Parameters.FirstOrDefault(p => p.Type == parameterType).Value;

    /// <summary>A RELAY_FROM / RELAY_TO / REG_FROM address (RFC 9028 §5.6: port, protocol, reserved, IPv6 or IPv4-mapped address).</summary>
    public IPEndPoint? GetTransportAddress(int parameterType)
    {
        var v = Get(parameterType);
        if (v is null || v.Length < 20)
        {
            return null;
        }

        var address = new IPAddress(v.AsSpan(4, 16));
        return new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, BinaryPrimitives.ReadUInt16BigEndian(v));
    }

    /// <summary>Parses RFC 9028 §5.1 framing: four zero octets, then a HIP packet.</summary>
    public static HipPacketView? TryParseUdp(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4 + 40 || BinaryPrimitives.ReadUInt32BigEndian(payload) != 0)
        {
            return null;
        }

        var hip = payload[4..];
        int length = (hip[1] + 1) * 8;
        if (length < 40 || length > hip.Length || (hip[3] >> 4) != 2)
        {
            return null;
        }

        var parameters = new List<(int, byte[])>();
        int offset = 40;
        while (offset + 4 <= length)
        {
            int type = BinaryPrimitives.ReadUInt16BigEndian(hip[offset..]);
            int len = BinaryPrimitives.ReadUInt16BigEndian(hip[(offset + 2)..]);
            if (offset + 4 + len > length)
            {
                break;
            }

            parameters.Add((type, hip.Slice(offset + 4, len).ToArray()));
            offset += (4 + len + 7) & ~7;
        }

        return new HipPacketView(hip[2] & 0x7f, new IPAddress(hip.Slice(8, 16)), new IPAddress(hip.Slice(24, 16)), parameters);
    }

    public static string PacketTypeName(int type) => type switch
    {
        1 => "I1",
        2 => "R1",
        3 => "I2",
        4 => "R2",
        16 => "UPDATE",
        17 => "NOTIFY",
        18 => "CLOSE",
        19 => "CLOSE_ACK",
        _ => $"type {type}",
    };

    /// <summary>Describes the parameters that tell the story of a relayed exchange: registration, relaying, updates, notifications.</summary>
    public string DescribeParameters()
    {
        var parts = new List<string>();
        foreach (var (type, v) in Parameters)
        {
            var text = type switch
            {
                HipParameterTypes.RegInfo when v.Length >= 2 => $"REG_INFO({RegTypes(v.AsSpan(2))})",
                HipParameterTypes.RegRequest when v.Length >= 1 => $"REG_REQUEST({RegTypes(v.AsSpan(1))}, {Lifetime(v[0])})",
                HipParameterTypes.RegResponse when v.Length >= 1 => $"REG_RESPONSE({RegTypes(v.AsSpan(1))}, {Lifetime(v[0])})",
                HipParameterTypes.RegFailed when v.Length >= 2 => $"REG_FAILED({RegTypes(v.AsSpan(2))}: failure {v[1]})",
                HipParameterTypes.RegFrom => $"REG_FROM {GetTransportAddress(type)}",
                HipParameterTypes.RelayFrom => $"RELAY_FROM {GetTransportAddress(type)}",
                HipParameterTypes.RelayTo => $"RELAY_TO {GetTransportAddress(type)}",
                HipParameterTypes.From when v.Length >= 16 => $"FROM {Unmap(new IPAddress(v.AsSpan(0, 16)))}",
                HipParameterTypes.ViaRvs => "VIA_RVS",
                HipParameterTypes.Seq when v.Length >= 4 => $"SEQ {BinaryPrimitives.ReadUInt32BigEndian(v)}",
                HipParameterTypes.Ack when v.Length >= 4 => $"ACK {string.Join(",", Enumerable.Range(0, v.Length / 4).Select(i => BinaryPrimitives.ReadUInt32BigEndian(v.AsSpan(i * 4))))}",
                HipParameterTypes.Notification when v.Length >= 4 => NotifyName(BinaryPrimitives.ReadUInt16BigEndian(v.AsSpan(2))),
                HipParameterTypes.LocatorSet => $"LOCATOR_SET({string.Join(" ", Locators(v))})",
                HipParameterTypes.EchoRequestSigned => "ECHO_REQUEST_SIGNED",
                HipParameterTypes.EchoResponseSigned => "ECHO_RESPONSE_SIGNED",
                HipParameterTypes.EchoRequestUnsigned => "ECHO_REQUEST_UNSIGNED",
                HipParameterTypes.EchoResponseUnsigned => "ECHO_RESPONSE_UNSIGNED",
                HipParameterTypes.NatTraversalMode => $"NAT_TRAVERSAL_MODE({string.Join(",", Enumerable.Range(0, Math.Max(0, (v.Length - 2) / 2)).Select(i => ModeName(BinaryPrimitives.ReadUInt16BigEndian(v.AsSpan(2 + (2 * i))))))})",
                HipParameterTypes.Encrypted => "ENCRYPTED",
                HipParameterTypes.CandidatePriority when v.Length >= 4 => $"CANDIDATE_PRIORITY {BinaryPrimitives.ReadUInt32BigEndian(v)}",
                HipParameterTypes.MappedAddress => $"MAPPED_ADDRESS {GetTransportAddress(type)}",
                HipParameterTypes.Nominate => "NOMINATE",
                HipParameterTypes.PeerPermission => "PEER_PERMISSION",
                HipParameterTypes.RelayedAddress => $"RELAYED_ADDRESS {GetTransportAddress(type)}",
                HipParameterTypes.EspInfo when v.Length >= 12 => $"ESP_INFO(new SPI {BinaryPrimitives.ReadUInt32BigEndian(v.AsSpan(8)):x8})",
                HipParameterTypes.RelayHmac => "RELAY_HMAC",
                HipParameterTypes.RvsHmac => "RVS_HMAC",
                _ => null,
            };
            if (text is not null)
            {
                parts.Add(text);
            }
        }

        return string.Join("  ", parts);
    }

    private static IPAddress Unmap(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    /// <summary>RFC 9028 §5.4 / RFC 5770 §5.4 mode names.</summary>
    private static string ModeName(ushort mode) => mode switch
    {
        1 => "UDP-ENCAPSULATION",
        2 => "ICE-STUN-UDP",
        3 => "ICE-HIP-UDP",
        _ => mode.ToString(CultureInfo.InvariantCulture),
    };

    private static string RegTypes(ReadOnlySpan<byte> types)
    {
        var names = new List<string>();
        foreach (var t in types)
        {
            names.Add(t switch
            {
                1 => "RENDEZVOUS",
                2 => "RELAY_UDP_HIP",
                3 => "RELAY_UDP_ESP",
                _ => t.ToString(CultureInfo.InvariantCulture),
            });
        }

        return names.Count == 0 ? "none" : string.Join(",", names);
    }

    /// <summary>RFC 8003 §4.1: lifetime = 2^((value - 64) / 8) seconds.</summary>
    private static string Lifetime(byte value)
    {
        if (value == 0)
        {
            return "cancel";
        }

        var seconds = Math.Pow(2, (value - 64) / 8.0);
        return seconds >= 10 ? $"{seconds:0} s" : $"{seconds:0.##} s";
    }

    private static string NotifyName(int type) => type switch
    {
        16385 => "NOTIFY NAT_KEEPALIVE",
        1 => "NOTIFY UNSUPPORTED_CRITICAL_PARAMETER_TYPE",
        7 => "NOTIFY INVALID_SYNTAX",
        14 => "NOTIFY NO_DH_PROPOSAL_CHOSEN",
        15 => "NOTIFY INVALID_DH_CHOSEN",
        24 => "NOTIFY AUTHENTICATION_FAILED",
        _ => $"NOTIFY {type}",
    };

    /// <summary>LOCATOR_SET entries (RFC 8046 §4; type 2 = RFC 9028 §5.7 transport locator).</summary>
    private static IEnumerable<string> Locators(byte[] v)
    {
        int o = 0;
        while (o + 8 <= v.Length)
        {
            int type = v[o + 1];
            int len = v[o + 2] * 4;
            var body = v.AsSpan(o + 8, Math.Min(len, v.Length - o - 8));
            if (type == 2 && body.Length >= 28)
            {
                yield return $"{Unmap(new IPAddress(body.Slice(12, 16)))}:{BinaryPrimitives.ReadUInt16BigEndian(body)}";
            }
            else if (body.Length >= 16)
            {
                yield return Unmap(new IPAddress(body[..16])).ToString();
            }

            o += 8 + len;
        }
    }
}

/// <summary>The HIP parameter type numbers the lab reads (RFC 7401 §5.2, RFC 8003, RFC 8004, RFC 8046, RFC 9028).</summary>
public static class HipParameterTypes
{
    public const int EspInfo = 65;
    public const int LocatorSet = 193;
    public const int Seq = 385;
    public const int Ack = 449;
    public const int NatTraversalMode = 608;
    public const int Encrypted = 641;
    public const int RelayedAddress = 4650;
    public const int MappedAddress = 4660;
    public const int PeerPermission = 4680;
    public const int CandidatePriority = 4700;
    public const int Nominate = 4710;
    public const int Notification = 832;
    public const int EchoRequestSigned = 897;
    public const int RegInfo = 930;
    public const int RegRequest = 932;
    public const int RegResponse = 934;
    public const int RegFailed = 936;
    public const int RegFrom = 950;
    public const int EchoResponseSigned = 961;
    public const int EchoResponseUnsigned = 63425;
    public const int EchoRequestUnsigned = 63661;
    public const int RelayFrom = 63998;
    public const int RelayTo = 64002;
    public const int From = 65498;
    public const int RvsHmac = 65500;
    public const int ViaRvs = 65502;
    public const int RelayHmac = 65520;
}
