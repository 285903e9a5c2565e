using System.Buffers.Binary;
using System.Net;
using Hipnat.Runtime.Names;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Wire;
using Hipnat.Wire.Dns;
using Microsoft.Extensions.Logging;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// The local DNS responder's decisions, without sockets: peers' names answered with HIT (AAAA) and LSI (A), other
/// queries forwarded verbatim, refused records answered SERVFAIL, malformed messages dropped or answered FORMERR.
/// </summary>
public sealed class DnsQueryHandlerTests
{
    private static readonly Hit BobHit = Hit.Parse("2001:2a:1111:2222:3333:4444:5555:6666");
    private static readonly IPAddress BobLsi = IPAddress.Parse("198.19.0.2");

    private readonly FakePeers _peers = new();
    private readonly FakeForwarder _upstream = new();
    private readonly RecordingLogger _log = new();
    private TimeSpan _now = TimeSpan.FromSeconds(1000);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DnsQueryHandler Handler() => new(_peers, _upstream, _log, () => _now);

    [Fact]
    public async Task A_peers_name_is_answered_with_its_HIT_for_AAAA_and_its_LSI_for_A_with_the_records_TTL()
    {
        _peers.Answers["bob.example."] = PeerNameAnswer.Peer(BobHit, BobLsi, TimeSpan.FromSeconds(120.7), "DNS");
        var handler = Handler();

        var aaaa = await handler.HandleAsync(Query("Bob.Example", DnsRecordTypes.Aaaa, 0x4242), false, Ct);
        var (rcode, ttl, rdata) = SingleAnswer(aaaa!, 0x4242, DnsRecordTypes.Aaaa);
        Assert.Equal(DnsResponseCode.NoError, rcode);
        Assert.Equal(120u, ttl);
        Assert.Equal(BobHit.ToArray(), rdata);

        var a = await handler.HandleAsync(Query("bob.example.", DnsRecordTypes.A, 7), false, Ct);
        (rcode, ttl, rdata) = SingleAnswer(a!, 7, DnsRecordTypes.A);
        Assert.Equal(DnsResponseCode.NoError, rcode);
        Assert.Equal(BobLsi.GetAddressBytes(), rdata);

        Assert.Equal(0, _upstream.Calls);
        Assert.Equal((2, 2, 0L), (handler.Queries, handler.Answered, handler.Forwarded));
    }

    [Fact]
    public async Task A_peer_without_an_LSI_has_no_A_record()
    {
        _peers.Answers["bob.example."] = PeerNameAnswer.Peer(BobHit, null, TimeSpan.FromSeconds(60), "names file");
        var r = await Handler().HandleAsync(Query("bob.example", DnsRecordTypes.A), false, Ct);
        Assert.True(DnsHeader.TryRead(r, out var h));
        Assert.Equal(DnsResponseCode.NoError, h.ResponseCode);
        Assert.Equal(0, h.AnswerCount);
        Assert.Equal(0, _upstream.Calls);
    }

    [Fact]
    public async Task Another_name_is_forwarded_verbatim_and_the_upstream_response_comes_back_verbatim()
    {
        _peers.Answers["www.example."] = PeerNameAnswer.NotPeer(TimeSpan.FromSeconds(60), "no HIP record");
        var query = Query("www.example", DnsRecordTypes.A, 99);
        byte[] upstreamResponse = [.. query[..2], 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, .. query[12..]];
        _upstream.Response = upstreamResponse;
        var handler = Handler();

        var r = await handler.HandleAsync(query, false, Ct);

        Assert.Same(upstreamResponse, r);
        Assert.Equal(query, _upstream.LastQuery);
        Assert.False(_upstream.LastTcp);
        Assert.Equal((1L, 0L), (handler.Forwarded, handler.Answered));
    }

    [Fact]
    public async Task A_name_that_is_no_peer_is_remembered_for_its_negative_TTL_and_looked_up_again_after_it()
    {
        _peers.Answers["www.example."] = PeerNameAnswer.NotPeer(TimeSpan.FromSeconds(60), "no HIP record");
        _upstream.Response = [];
        var handler = Handler();
        await handler.HandleAsync(Query("www.example", DnsRecordTypes.A), false, Ct);
        await handler.HandleAsync(Query("www.example", DnsRecordTypes.Aaaa), false, Ct);
        Assert.Equal(1, _peers.Lookups);

        _now += TimeSpan.FromSeconds(61);
        await handler.HandleAsync(Query("www.example", DnsRecordTypes.A), false, Ct);
        Assert.Equal(2, _peers.Lookups);
        Assert.Equal(3, _upstream.Calls);
    }

    [Fact]
    public async Task A_negative_TTL_is_capped_so_a_HIP_record_published_later_is_seen()
    {
        _peers.Answers["www.example."] = PeerNameAnswer.NotPeer(TimeSpan.FromDays(1), "no HIP record");
        _upstream.Response = [];
        var handler = Handler();
        await handler.HandleAsync(Query("www.example", DnsRecordTypes.A), false, Ct);
        _now += DnsQueryHandler.MaxNegativeTtl + TimeSpan.FromSeconds(1);
        await handler.HandleAsync(Query("www.example", DnsRecordTypes.A), false, Ct);
        Assert.Equal(2, _peers.Lookups);
    }

    [Fact]
    public async Task A_refused_HIP_record_is_answered_SERVFAIL_with_no_address_and_the_reason_is_logged()
    {
        _peers.Answers["mallory.example."] = PeerNameAnswer.Refused("refusing the HIP record of mallory.example.: its HIT is not the HIT of its public key");
        var handler = Handler();

        var r = await handler.HandleAsync(Query("mallory.example", DnsRecordTypes.Aaaa), false, Ct);

        Assert.True(DnsHeader.TryRead(r, out var h));
        Assert.Equal(DnsResponseCode.ServerFailure, h.ResponseCode);
        Assert.Equal((1, 0), (h.QuestionCount, h.AnswerCount));
        Assert.Equal(0, _upstream.Calls);
        Assert.Equal(1, handler.Failed);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("SERVFAIL for mallory.example. (AAAA)", StringComparison.Ordinal)
            && e.Message.Contains("is not the HIT of its public key", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(15)] // MX
    [InlineData(55)] // HIP itself
    [InlineData(16)] // TXT
    public async Task Other_types_are_forwarded_without_a_peer_lookup(ushort type)
    {
        _peers.Answers["bob.example."] = PeerNameAnswer.Peer(BobHit, BobLsi, TimeSpan.FromSeconds(60), "DNS");
        _upstream.Response = [1, 2, 3];
        var r = await Handler().HandleAsync(Query("bob.example", type), false, Ct);
        Assert.Equal([1, 2, 3], r);
        Assert.Equal(0, _peers.Lookups);
    }

    [Fact]
    public async Task A_class_other_than_IN_and_a_name_that_is_no_host_name_are_forwarded()
    {
        _upstream.Response = [9];
        var handler = Handler();
        Assert.Equal([9], await handler.HandleAsync(Query("bob.example", DnsRecordTypes.A, qclass: 3), false, Ct));
        Assert.Equal([9], await handler.HandleAsync(Query("b*b.example", DnsRecordTypes.A), false, Ct));
        Assert.Equal(0, _peers.Lookups);
        Assert.Equal(2, handler.Forwarded);
    }

    [Fact]
    public async Task A_query_that_came_over_TCP_is_forwarded_over_TCP()
    {
        _upstream.Response = [9];
        await Handler().HandleAsync(Query("bob.example", 15), true, Ct);
        Assert.True(_upstream.LastTcp);
    }

    [Fact]
    public async Task No_upstream_response_is_SERVFAIL()
    {
        _peers.Answers["www.example."] = PeerNameAnswer.NotPeer(TimeSpan.Zero, "no HIP record");
        _upstream.Response = null;
        var handler = Handler();
        var r = await handler.HandleAsync(Query("www.example", DnsRecordTypes.A, 5), false, Ct);
        Assert.True(DnsHeader.TryRead(r, out var h));
        Assert.Equal(5, h.Id);
        Assert.Equal(DnsResponseCode.ServerFailure, h.ResponseCode);
        Assert.Equal(1, handler.Failed);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("no answer from", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Malformed_messages_are_dropped_or_answered_FORMERR_and_counted_never_thrown()
    {
        var handler = Handler();
        Assert.Null(await handler.HandleAsync(new byte[5], false, Ct));
        var response = Query("bob.example", DnsRecordTypes.A);
        response[2] |= 0x80;
        Assert.Null(await handler.HandleAsync(response, false, Ct));

        var cut = Query("bob.example", DnsRecordTypes.A, 0x0102, edns: false)[..20];
        var formerr = await handler.HandleAsync(cut, false, Ct);
        Assert.True(DnsHeader.TryRead(formerr, out var h));
        Assert.Equal(0x0102, h.Id);
        Assert.Equal(DnsResponseCode.FormatError, h.ResponseCode);

        Assert.Equal(1, handler.Drops[DnsResponderDrop.Short]);
        Assert.Equal(1, handler.Drops[DnsResponderDrop.NotAQuery]);
        Assert.Equal(1, handler.FormatErrors);
        Assert.Equal(3, handler.Queries);
        Assert.Equal(0, _upstream.Calls);
        Assert.Equal(0, _peers.Lookups);
    }

    [Fact]
    public async Task A_and_AAAA_asked_together_share_one_lookup()
    {
        var gate = new TaskCompletionSource();
        _peers.Gate = gate.Task;
        _peers.Answers["bob.example."] = PeerNameAnswer.Peer(BobHit, BobLsi, TimeSpan.FromSeconds(60), "DNS");
        var handler = Handler();
        var a = handler.HandleAsync(Query("bob.example", DnsRecordTypes.A), false, Ct);
        var aaaa = handler.HandleAsync(Query("bob.example", DnsRecordTypes.Aaaa), false, Ct);
        gate.SetResult();
        await Task.WhenAll(a, aaaa);
        Assert.Equal(1, _peers.Lookups);
        Assert.Equal(2, handler.Answered);
    }

    [Fact]
    public async Task A_lookup_that_throws_is_SERVFAIL_not_an_exception()
    {
        _peers.Throw = new InvalidOperationException("the daemon is stopping");
        var handler = Handler();
        var r = await handler.HandleAsync(Query("bob.example", DnsRecordTypes.Aaaa), false, Ct);
        Assert.True(DnsHeader.TryRead(r, out var h));
        Assert.Equal(DnsResponseCode.ServerFailure, h.ResponseCode);
        Assert.Contains(_log.Entries, e => e.Message.Contains("the daemon is stopping", StringComparison.Ordinal));
    }

    internal static byte[] Query(string name, ushort type, ushort id = 0xBEEF, bool edns = true, ushort qclass = 1)
    {
        var m = new List<byte>();
        void U16(int v) => m.AddRange([(byte)(v >> 8), (byte)v]);
        U16(id);
        U16(0x0100);
        U16(1);
        U16(0);
        U16(0);
        U16(edns ? 1 : 0);
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            m.Add((byte)label.Length);
            m.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }

        m.Add(0);
        U16(type);
        U16(qclass);
        if (edns)
        {
            m.AddRange([0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]);
        }

        return [.. m];
    }

    /// <summary>The one answer of a response to a one-question query: RCODE, TTL and RDATA, after checking ID, type and owner.</summary>
    internal static (DnsResponseCode Code, uint Ttl, byte[] Rdata) SingleAnswer(byte[] response, ushort id, ushort type)
    {
        Assert.True(DnsHeader.TryRead(response, out var h));
        Assert.Equal(id, h.Id);
        Assert.True(h.IsResponse);
        Assert.Equal((1, 1), (h.QuestionCount, h.AnswerCount));
        Assert.Equal(WireError.None, DnsQuery.TryParse(response, out var parsed));
        var a = response.AsSpan(parsed.Question.Offset + parsed.Question.Length);
        Assert.Equal(0xC00C, BinaryPrimitives.ReadUInt16BigEndian(a));
        Assert.Equal(type, BinaryPrimitives.ReadUInt16BigEndian(a[2..]));
        int length = BinaryPrimitives.ReadUInt16BigEndian(a[10..]);
        return (h.ResponseCode, BinaryPrimitives.ReadUInt32BigEndian(a[6..]), a.Slice(12, length).ToArray());
    }

    private sealed class FakePeers : IPeerNames
    {
        private int _lookups;

        public Dictionary<string, PeerNameAnswer> Answers { get; } = [];

        public Task? Gate { get; set; }

        public Exception? Throw { get; set; }

        public int Lookups => Volatile.Read(ref _lookups);

        public async Task<PeerNameAnswer> LookupAsync(string name, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _lookups);
            if (Gate is { } gate)
            {
                await gate;
            }

            if (Throw is { } e)
            {
                throw e;
            }

            return Answers.TryGetValue(name, out var a) ? a : PeerNameAnswer.NotPeer(TimeSpan.Zero, "unknown");
        }
    }

    private sealed class FakeForwarder : IDnsForwarder
    {
        private int _calls;

        public string Servers => "192.0.2.53:53";

        public byte[]? Response { get; set; }

        public byte[]? LastQuery { get; private set; }

        public bool LastTcp { get; private set; }

        public int Calls => Volatile.Read(ref _calls);

        public Task<byte[]?> ForwardAsync(ReadOnlyMemory<byte> query, bool tcp, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            LastQuery = query.ToArray();
            LastTcp = tcp;
            return Task.FromResult(Response);
        }
    }
}
