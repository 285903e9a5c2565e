using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Hipnat.Wire.Dns;

namespace Hipnat.Runtime.Names;

/// <summary>
/// Forwards queries to upstream DNS servers, one after the other until one answers: over UDP from a fresh socket
/// (a new random source port for each query) or, for queries that came over TCP, over a TCP connection of its own
/// (RFC 7766 §6.2.1: two octets of length before each message). A response counts only when its ID and question are
/// those of the query (RFC 5452 §3); anything else arriving on the socket is ignored.
/// </summary>
public sealed class DnsUpstreamForwarder : IDnsForwarder
{
    private const int MaxMessage = ushort.MaxValue;

    private readonly IReadOnlyList<IPEndPoint> _servers;
    private readonly TimeSpan _timeout;

    public DnsUpstreamForwarder(IReadOnlyList<IPEndPoint> servers, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(servers);
        if (servers.Count == 0)
        {
            throw new ArgumentException("no upstream DNS server", nameof(servers));
        }

        _servers = servers;
        _timeout = timeout;
        Servers = string.Join(", ", servers);
    }

    public string Servers { get; }

    public IReadOnlyList<IPEndPoint> Upstream => _servers;

    public async Task<byte[]?> ForwardAsync(ReadOnlyMemory<byte> query, bool tcp, CancellationToken cancellationToken)
    {
        foreach (var server in _servers)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_timeout);
            try
            {
                var response = tcp
                    ? await ExchangeTcpAsync(server, query, deadline.Token)
                    : await ExchangeUdpAsync(server, query, deadline.Token);
                if (response is not null)
                {
                    return response;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // This server took too long: the next one.
            }
            catch (SocketException)
            {
                // Refused or unreachable: the next one.
            }
            catch (IOException)
            {
                // The TCP connection broke: the next one.
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="response"/> answers <paramref name="query"/>: QR set, the same ID and the same question.</summary>
    public static bool Matches(ReadOnlySpan<byte> query, ReadOnlySpan<byte> response)
    {
        if (!DnsHeader.TryRead(query, out var q) || !DnsHeader.TryRead(response, out var r) || !r.IsResponse || r.Id != q.Id)
        {
            return false;
        }

        if (q.QuestionCount == 0)
        {
            return true;
        }

        // A server that cannot parse the query may answer FORMERR without the question (RFC 1035 §4.1.1).
        if (r.QuestionCount == 0)
        {
            return r.ResponseCode is DnsResponseCode.FormatError or DnsResponseCode.NotImplemented or DnsResponseCode.Refused or DnsResponseCode.ServerFailure;
        }

        if (DnsQuery.TryParse(query, out var pq) != Wire.WireError.None || DnsQuery.TryParse(response, out var pr) != Wire.WireError.None)
        {
            return false;
        }

        // The name compared without regard to ASCII case (RFC 4343 §3; resolvers may mix it, draft-vixie-dnsext-dns0x20).
        var a = query.Slice(pq.Question.Offset, pq.Question.Length);
        var b = response.Slice(pr.Question.Offset, pr.Question.Length);
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i] && AsciiLower(a[i]) != AsciiLower(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<byte[]?> ExchangeUdpAsync(IPEndPoint server, ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, cancellationToken);
        await socket.SendAsync(query, SocketFlags.None, cancellationToken);
        var buffer = new byte[MaxMessage];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (Matches(query.Span, buffer.AsSpan(0, n)))
            {
                return buffer.AsSpan(0, n).ToArray();
            }
        }
    }

    private static async Task<byte[]?> ExchangeTcpAsync(IPEndPoint server, ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, cancellationToken);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        await WriteFramedAsync(stream, query, cancellationToken);
        var response = await ReadFramedAsync(stream, cancellationToken);
        return response is not null && Matches(query.Span, response) ? response : null;
    }

    /// <summary>Writes one message with its two-octet length (RFC 7766 §8).</summary>
    internal static async Task WriteFramedAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var framed = new byte[2 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed.AsMemory(2));
        await stream.WriteAsync(framed, cancellationToken);
    }

    /// <summary>Reads one length-prefixed message; null at the end of the stream before a length, or when it ends inside a message.</summary>
    internal static async Task<byte[]?> ReadFramedAsync(Stream stream, CancellationToken cancellationToken)
    {
        var length = new byte[2];
        if (!await ReadExactlyOrEndAsync(stream, length, cancellationToken))
        {
            return null;
        }

        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
        return await ReadExactlyOrEndAsync(stream, message, cancellationToken) ? message : null;
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer[read..], cancellationToken);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    private static byte AsciiLower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
}
