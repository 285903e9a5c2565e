using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Names;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Wire;
using Hipnat.Wire.Dns;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// The local DNS responder on real loopback sockets, asked by an independent client (DnsClient), forwarding to
/// <see cref="FakeDnsServer"/>: over UDP and TCP, peers answered, other names forwarded, garbage survived. Also its
/// settings: the config object, the flag, and the choice of upstream servers that never loops back to itself.
/// </summary>
public sealed class DnsResponderTests : IDisposable
{
    private static readonly Hit BobHit = Hit.Parse("2001:2a:1111:2222:3333:4444:5555:6666");

    private readonly FakeDnsServer _upstream = new();
    private readonly RecordingLogger _log = new();
    private readonly DnsResponder _responder;

    public DnsResponderTests()
    {
        _upstream.AddAddress("www.example.", "192.0.2.80", ttl: 42);
        var peers = new Peers();
        _responder = new DnsResponder([new IPEndPoint(IPAddress.Loopback, 0)], [_upstream.EndPoint], TimeSpan.FromSeconds(1), peers, _log, () => TimeSpan.Zero);
        _responder.Start();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _responder.Dispose();
        _upstream.Dispose();
    }

    private LookupClient Client(bool tcp = false) => new(new LookupClientOptions(new NameServer(_responder.LocalEndpoints[0]))
    {
        UseCache = false,
        Retries = 0,
        Timeout = TimeSpan.FromSeconds(3),
        UseTcpOnly = tcp,
        ThrowDnsErrors = false,
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_gets_the_peers_HIT_and_LSI_and_an_ordinary_name_from_upstream(bool tcp)
    {
        var client = Client(tcp);
        var aaaa = await client.QueryAsync("bob.example", QueryType.AAAA, cancellationToken: Ct);
        Assert.False(aaaa.HasError, aaaa.ErrorMessage);
        var hit = Assert.Single(aaaa.Answers.AaaaRecords());
        Assert.Equal(BobHit.ToIPAddress(), hit.Address);
        Assert.Equal(30, hit.TimeToLive);

        var a = await client.QueryAsync("bob.example", QueryType.A, cancellationToken: Ct);
        Assert.Equal(IPAddress.Parse("198.19.0.2"), Assert.Single(a.Answers.ARecords()).Address);

        var www = await client.QueryAsync("www.example", QueryType.A, cancellationToken: Ct);
        Assert.False(www.HasError, www.ErrorMessage);
        var wwwA = Assert.Single(www.Answers.ARecords());
        Assert.Equal(IPAddress.Parse("192.0.2.80"), wwwA.Address);
        Assert.Equal(42, wwwA.TimeToLive);
        Assert.Equal(tcp ? 1 : 0, _upstream.TcpQueries);

        var missing = await client.QueryAsync("nobody.example", QueryType.A, cancellationToken: Ct);
        Assert.Equal(DnsHeaderResponseCode.NotExistentDomain, missing.Header.ResponseCode);

        var refused = await client.QueryAsync("mallory.example", QueryType.AAAA, cancellationToken: Ct);
        Assert.Equal(DnsHeaderResponseCode.ServerFailure, refused.Header.ResponseCode);
        Assert.Empty(refused.Answers);

        var report = _responder.BuildReport();
        Assert.Equal(5, report.Queries);
        Assert.Equal(2, report.Answered);
        Assert.Equal(2, report.Forwarded);
        Assert.Equal(1, report.Failed);
        Assert.Equal([_upstream.EndPoint.ToString()], report.Upstream);
    }

    [Fact]
    public async Task Garbage_is_counted_and_dropped_and_the_next_query_is_answered()
    {
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        var at = _responder.LocalEndpoints[0];
        await udp.SendAsync(new byte[] { 1, 2, 3 }, at, Ct);
        await udp.SendAsync(new byte[] { 0, 9, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0 }, at, Ct);
        var cut = DnsQueryHandlerTests.Query("bob.example", DnsRecordTypes.A, 0x0203, edns: false)[..16];
        await udp.SendAsync(cut, at, Ct);
        var formerr = await udp.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.True(DnsHeader.TryRead(formerr.Buffer, out var h));
        Assert.Equal((0x0203, Hipnat.Wire.Dns.DnsResponseCode.FormatError), (h.Id, h.ResponseCode));

        await udp.SendAsync(DnsQueryHandlerTests.Query("bob.example", DnsRecordTypes.Aaaa, 0x0304), at, Ct);
        var answer = await udp.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(BobHit.ToArray(), DnsQueryHandlerTests.SingleAnswer(answer.Buffer, 0x0304, DnsRecordTypes.Aaaa).Rdata);

        var report = _responder.BuildReport();
        Assert.Equal(1, report.Drops["Short"]);
        Assert.Equal(1, report.Drops["NotAQuery"]);
        Assert.Equal(1, report.FormatErrors);
    }

    [Fact]
    public async Task A_cut_TCP_message_is_counted_and_the_connection_closed()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_responder.LocalEndpoints[0], Ct);
        var stream = tcp.GetStream();
        await stream.WriteAsync(new byte[] { 0, 40, 1, 2, 3 }, Ct);
        tcp.Client.Shutdown(SocketShutdown.Send);
        var buffer = new byte[16];
        Assert.Equal(0, await stream.ReadAsync(buffer, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct));
        Assert.Equal(1, _responder.BuildReport().Drops["TcpFraming"]);
    }

    [Fact]
    public void A_taken_address_is_a_transport_error_naming_it()
    {
        var taken = _responder.LocalEndpoints[0];
        using var second = new DnsResponder([taken], [_upstream.EndPoint], TimeSpan.FromSeconds(1), new Peers(), _log, () => TimeSpan.Zero);
        var e = Assert.Throws<Hipnat.Runtime.Transports.TransportException>(second.Start);
        Assert.Contains($"cannot listen on {taken}", e.Message, StringComparison.Ordinal);
        Assert.Contains("another DNS server listens there", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_config_object_turns_the_responder_on_with_its_addresses()
    {
        var s = DaemonConfigFile.Parse("""{ "dnsResponder": { "listen": ["127.0.0.55", "[::1]:5353"], "upstream": ["192.0.2.53"], "timeoutMs": 700 } }""", "c.json");
        Assert.True(s.DnsResponder.Enabled);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("127.0.0.55"), 53), new IPEndPoint(IPAddress.IPv6Loopback, 5353)], s.DnsResponder.EffectiveListen);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53)], s.DnsResponder.Upstream);
        Assert.Equal(TimeSpan.FromMilliseconds(700), s.DnsResponder.Timeout);

        Assert.False(DaemonConfigFile.Parse("""{ "dnsResponder": { "enabled": false } }""", "c.json").DnsResponder.Enabled);
        var off = DaemonConfigFile.Parse("{}", "c.json").DnsResponder;
        Assert.False(off.Enabled);
        Assert.Equal([DnsResponderSettings.DefaultListen], off.EffectiveListen);
        Assert.Equal("127.0.0.55:53", DnsResponderSettings.DefaultListen.ToString());
    }

    [Theory]
    [InlineData("""{ "dnsResponder": true }""", "key dnsResponder = true: expected an object")]
    [InlineData("""{ "dnsResponder": { "listen": ["0.0.0.0"] } }""", "dnsResponder.listen[0] = \"0.0.0.0\": '0.0.0.0' is a wildcard address")]
    [InlineData("""{ "dnsResponder": { "listen": [] } }""", "dnsResponder.listen = []: expected a non-empty array")]
    [InlineData("""{ "dnsResponder": { "upstream": ["dns.example"] } }""", "dnsResponder.upstream[0] = \"dns.example\": 'dns.example' is not an address")]
    [InlineData("""{ "dnsResponder": { "upstream": ["192.0.2.1", "192.0.2.1:53"] } }""", "dnsResponder.upstream[1] = \"192.0.2.1:53\": listed twice")]
    [InlineData("""{ "dnsResponder": { "timeoutMs": 5 } }""", "dnsResponder.timeoutMs = 5: expected a whole number of milliseconds")]
    [InlineData("""{ "dnsResponder": { "enabled": "yes" } }""", "dnsResponder.enabled = \"yes\": expected true or false")]
    [InlineData("""{ "dnsResponder": { "port": 53 } }""", "unknown key \"dnsResponder.port\"; valid keys in dnsResponder: enabled, listen, upstream, timeoutMs")]
    [InlineData("""{ "dnsResponder": {}, "tun": { "enabled": false } }""", "needs")]
    public void Bad_responder_settings_are_config_errors_naming_the_key(string json, string fragment)
    {
        var e = Assert.Throws<ConfigException>(() =>
        {
            var s = DaemonConfigFile.Parse(json, "c.json");
            s.Validate();
        });
        Assert.Contains(fragment.Replace("needs", "only the ESP data plane carries", StringComparison.Ordinal), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_flag_turns_it_on_off_or_moves_it()
    {
        var s = new DnsResponderSettings();
        s.ApplyFlag("on");
        Assert.True(s.Enabled);
        s.ApplyFlag("127.0.0.77:5300");
        Assert.Equal([new IPEndPoint(IPAddress.Parse("127.0.0.77"), 5300)], s.EffectiveListen);
        s.ApplyFlag("off");
        Assert.False(s.Enabled);
        var e = Assert.Throws<ConfigException>(() => s.ApplyFlag("maybe"));
        Assert.StartsWith("--dns-responder 'maybe': 'maybe' is not an address", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Upstream_is_the_configured_servers_or_resolv_conf_but_never_the_responder_itself()
    {
        var self = DnsResponderSettings.DefaultListen;
        var router = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 53);
        var resolved = new IPEndPoint(IPAddress.Parse("127.0.0.53"), 53);
        var dns = new DnsSettings();

        var s = new DnsResponderSettings { Enabled = true };
        Assert.Equal([resolved, router], s.ChooseUpstream(dns, [self, resolved, router], out var source));
        Assert.Equal("/etc/resolv.conf", source);

        dns.Servers.Add(router);
        Assert.Equal([router], s.ChooseUpstream(dns, [self], out source));
        Assert.Equal("dns.servers", source);

        s.Upstream.Add(resolved);
        Assert.Equal([resolved], s.ChooseUpstream(dns, [self], out source));
        Assert.Equal("dnsResponder.upstream", source);

        var e = Assert.Throws<ConfigException>(() => new DnsResponderSettings().ChooseUpstream(new DnsSettings(), [self], out _));
        Assert.Contains("/etc/resolv.conf names only 127.0.0.55, this DNS responder; set config dnsResponder.upstream", e.Message, StringComparison.Ordinal);
        var loop = new DnsResponderSettings();
        loop.Upstream.Add(self);
        e = Assert.Throws<ConfigException>(() => loop.ChooseUpstream(new DnsSettings(), [], out _));
        Assert.Contains("would go round in a loop", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolv_conf_name_servers_are_read_in_order_without_the_other_lines()
    {
        var servers = ResolvConf.NameServers("# generated\nsearch lan\nnameserver 127.0.0.55\nnameserver\t2001:db8::53\n  nameserver 192.0.2.1 \noptions edns0\nnameserver bogus\nnameserver 127.0.0.55\n");
        Assert.Equal(["127.0.0.55:53", "[2001:db8::53]:53", "192.0.2.1:53"], servers.Select(s => s.ToString()));
    }

    private sealed class Peers : IPeerNames
    {
        public Task<PeerNameAnswer> LookupAsync(string name, CancellationToken cancellationToken) => Task.FromResult(name switch
        {
            "bob.example." => PeerNameAnswer.Peer(BobHit, IPAddress.Parse("198.19.0.2"), TimeSpan.FromSeconds(30), "DNS"),
            "mallory.example." => PeerNameAnswer.Refused("its HIT is not the HIT of its public key"),
            _ => PeerNameAnswer.NotPeer(TimeSpan.FromSeconds(10), "no HIP record"),
        });
    }
}
