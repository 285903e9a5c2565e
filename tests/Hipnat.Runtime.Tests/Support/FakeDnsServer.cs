using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>
/// A tiny authoritative DNS server on 127.0.0.1 for tests: answers queries (RFC 1035 §4) from a table of records,
/// NXDOMAIN for names it has nothing for, NODATA for other types at a known name. Counts the queries it answers.
/// Also over TCP on the same port (RFC 7766: two octets of length before each message).
/// </summary>
public sealed class FakeDnsServer : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<(string Name, ushort Type), List<(byte[] Data, uint Ttl)>> _records = [];
    private readonly Lock _lock = new();
    private int _queries;

    private readonly TcpListener _tcp;
    private int _tcpQueries;

    public FakeDnsServer()
    {
        _tcp = new TcpListener(IPAddress.Loopback, EndPoint.Port);
        _tcp.Start();
        _ = Task.Run(ServeAsync);
        _ = Task.Run(ServeTcpAsync);
    }

    /// <summary>Queries answered over TCP.</summary>
    public int TcpQueries => Volatile.Read(ref _tcpQueries);

    /// <summary>
    /// When set, NXDOMAIN and NODATA responses carry an SOA in the authority section with this TTL and MINIMUM
    /// (RFC 2308 §3), for negative caching.
    /// </summary>
    public (uint Ttl, uint Minimum)? NegativeSoa { get; set; }

    /// <summary>The last query received, as it came.</summary>
    public byte[]? LastQuery { get; private set; }

    public IPEndPoint EndPoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

    public int Queries => Volatile.Read(ref _queries);

    public void Add(string name, ushort type, byte[] rdata, uint ttl = 300)
    {
        lock (_lock)
        {
            var key = (name.ToLowerInvariant().TrimEnd('.') + ".", type);
            if (!_records.TryGetValue(key, out var list))
            {
                _records[key] = list = [];
            }

            list.Add((rdata, ttl));
        }
    }

    public void AddAddress(string name, string address, uint ttl = 300)
    {
        var ip = IPAddress.Parse(address);
        Add(name, ip.AddressFamily == AddressFamily.InterNetwork ? (ushort)1 : (ushort)28, ip.GetAddressBytes(), ttl);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _tcp.Stop();
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult query;
            try
            {
                query = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            try
            {
                var answer = Answer(query.Buffer);
                if (answer is not null)
                {
                    Interlocked.Increment(ref _queries);
                    await _udp.SendAsync(answer, query.RemoteEndPoint, _stop.Token);
                }
            }
            catch (Exception)
            {
                // A test server: drop what it cannot answer.
            }
        }
    }

    private async Task ServeTcpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var client = await _tcp.AcceptTcpClientAsync(_stop.Token);
                var stream = client.GetStream();
                var length = new byte[2];
                await stream.ReadExactlyAsync(length, _stop.Token);
                var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
                await stream.ReadExactlyAsync(query, _stop.Token);
                if (Answer(query) is { } answer)
                {
                    Interlocked.Increment(ref _tcpQueries);
                    var framed = new byte[answer.Length + 2];
                    BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)answer.Length);
                    answer.CopyTo(framed, 2);
                    await stream.WriteAsync(framed, _stop.Token);
                }
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                // A test server: drop what it cannot answer.
            }
            catch (Exception)
            {
                return;
            }
        }
    }

    private byte[]? Answer(byte[] q)
    {
        if (q.Length < 12)
        {
            return null;
        }

        LastQuery = q;

        int o = 12;
        var name = new StringBuilder();
        while (q[o] != 0)
        {
            int len = q[o++];
            name.Append(Encoding.ASCII.GetString(q, o, len).ToLowerInvariant()).Append('.');
            o += len;
        }

        o++;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(q.AsSpan(o));
        int questionEnd = o + 4;
        List<(byte[] Data, uint Ttl)> records;
        bool nameExists;
        lock (_lock)
        {
            string n = name.Length == 0 ? "." : name.ToString();
            records = _records.TryGetValue((n, type), out var list) ? [.. list] : [];
            nameExists = _records.Keys.Any(k => k.Name == n);
        }

        var response = new List<byte>();
        response.AddRange(q.AsSpan(0, 2).ToArray());
        // QR, AA; RD copied; RCODE 3 (NXDOMAIN) when nothing is known at the name.
        response.Add((byte)(0x84 | (q[2] & 0x01)));
        response.Add((byte)(nameExists ? 0 : 3));
        response.AddRange([0, 1]);
        response.AddRange([(byte)(records.Count >> 8), (byte)records.Count]);
        var soa = records.Count == 0 ? NegativeSoa : null;
        response.AddRange([0, (byte)(soa is null ? 0 : 1), 0, 0]);
        response.AddRange(q.AsSpan(12, questionEnd - 12).ToArray());
        foreach (var (data, ttl) in records)
        {
            response.AddRange([0xC0, 12]); // a pointer to the question's name
            response.AddRange([(byte)(type >> 8), (byte)type, 0, 1]);
            response.AddRange([(byte)(ttl >> 24), (byte)(ttl >> 16), (byte)(ttl >> 8), (byte)ttl]);
            response.AddRange([(byte)(data.Length >> 8), (byte)data.Length]);
            response.AddRange(data);
        }

        if (soa is { } negative)
        {
            response.AddRange([0xC0, 12, 0, 6, 0, 1]); // SOA, IN (owned by the question's name: enough for a test)
            response.AddRange([(byte)(negative.Ttl >> 24), (byte)(negative.Ttl >> 16), (byte)(negative.Ttl >> 8), (byte)negative.Ttl]);
            byte[] rdata = [0xC0, 12, 0xC0, 12, 0, 0, 0, 1, 0, 0, 14, 16, 0, 0, 2, 88, 0, 1, 81, 128,
                (byte)(negative.Minimum >> 24), (byte)(negative.Minimum >> 16), (byte)(negative.Minimum >> 8), (byte)negative.Minimum];
            response.AddRange([0, (byte)rdata.Length]);
            response.AddRange(rdata);
        }

        return [.. response];
    }
}
