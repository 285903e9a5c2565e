using System.Net;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Names;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Wire.Dns;

namespace Hipnat.Runtime.Tests;

/// <summary>
/// Peer names to HITs and locators (RFC 8005): the HIP record checked against ORCHID(HI), rendezvous servers resolved
/// to relay locators, the TTL cache and the names file. The DNS is a real DnsClient talking to <see cref="FakeDnsServer"/>.
/// </summary>
public sealed class NameResolverTests : IDisposable
{
    private static readonly Lazy<HostIdentity> Bob = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP256));
    private static readonly Lazy<HostIdentity> Mallory = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP384));

    private readonly FakeDnsServer _dns = new();
    private readonly TempDirectory _dir = new();
    private TimeSpan _now = TimeSpan.FromSeconds(100);

    public void Dispose()
    {
        _dns.Dispose();
        _dir.Dispose();
    }

    private NameResolver Resolver(string? namesFile = null, bool required = false)
    {
        var settings = new DnsSettings { Timeout = TimeSpan.FromMilliseconds(500), Retries = 0 };
        settings.Servers.Add(_dns.EndPoint);
        return new NameResolver(new DnsClientLookup(settings), namesFile, required, () => _now);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_HIP_record_with_relays_gives_the_HIT_and_the_relays_addresses_on_the_HIP_port()
    {
        _dns.Add("bob.example.", HipResourceRecord.RecordType, HipRecordIdentity.CreateRecord(Bob.Value, ["relay1.example.", "relay2.example."]).ToArray(), ttl: 300);
        _dns.AddAddress("relay1.example.", "203.0.113.1", ttl: 120);
        _dns.AddAddress("relay1.example.", "2001:db8::1", ttl: 600);
        _dns.AddAddress("relay2.example.", "203.0.113.2");

        var peer = await Resolver().ResolveAsync("Bob.Example", Ct);

        Assert.Equal("bob.example.", peer.Name);
        Assert.Equal(Bob.Value.Hit, peer.Hit);
        Assert.Equal("DNS", peer.Source);
        Assert.Equal(["relay1.example.", "relay2.example."], peer.RendezvousServers);
        Assert.Equal(
            [TransportAddress.Udp(IPAddress.Parse("203.0.113.1"), 10500), TransportAddress.Udp(IPAddress.Parse("2001:db8::1"), 10500), TransportAddress.Udp(IPAddress.Parse("203.0.113.2"), 10500)],
            peer.Locators);
        // The smallest TTL of the records used (RFC 8005 §4.2).
        Assert.Equal(_now + TimeSpan.FromSeconds(120), peer.Expires);
    }

    [Fact]
    public async Task Answers_are_cached_until_their_TTL_runs_out()
    {
        _dns.Add("bob.example.", HipResourceRecord.RecordType, HipRecordIdentity.CreateRecord(Bob.Value, ["relay1.example."]).ToArray(), ttl: 60);
        _dns.AddAddress("relay1.example.", "203.0.113.1");
        var resolver = Resolver();

        await resolver.ResolveAsync("bob.example.", Ct);
        int first = _dns.Queries;
        Assert.Equal(3, first); // HIP, A, AAAA

        _now += TimeSpan.FromSeconds(59);
        await resolver.ResolveAsync("bob.example", Ct);
        Assert.Equal(first, _dns.Queries);

        // RFC 8005 §4.2: past its TTL the record is no longer valid and is fetched again.
        _now += TimeSpan.FromSeconds(2);
        await resolver.ResolveAsync("bob.example", Ct);
        Assert.Equal(2 * first, _dns.Queries);
    }

    [Fact]
    public async Task A_record_without_relays_means_the_hosts_own_addresses()
    {
        _dns.Add("bob.example.", HipResourceRecord.RecordType, HipRecordIdentity.CreateRecord(Bob.Value).ToArray());
        _dns.AddAddress("bob.example.", "198.51.100.7");

        var peer = await Resolver().ResolveAsync("bob.example.", Ct);

        Assert.Empty(peer.RendezvousServers);
        Assert.Equal([TransportAddress.Udp(IPAddress.Parse("198.51.100.7"), 10500)], peer.Locators);
    }

    [Fact]
    public async Task A_record_whose_HIT_is_not_its_keys_is_refused_naming_the_record_and_both_HITs()
    {
        // Bob's HIT with Mallory's key: HIT != ORCHID(HI).
        var (algorithm, key) = HipRecordIdentity.ToRecordKey(Mallory.Value.Algorithm, Mallory.Value.HostIdBytes.Span);
        _dns.Add("bob.example.", HipResourceRecord.RecordType, HipResourceRecord.Create(algorithm, Bob.Value.Hit.ToArray(), key, ["relay1.example."]).ToArray());
        _dns.AddAddress("relay1.example.", "203.0.113.1");

        var e = await Assert.ThrowsAsync<NameResolutionException>(() => Resolver().ResolveAsync("bob.example.", Ct));

        Assert.Equal(NameResolutionFailure.HitMismatch, e.Failure);
        Assert.Contains("bob.example. IN HIP ( 3 ", e.Message, StringComparison.Ordinal);
        Assert.Contains(Bob.Value.Hit.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains(Mallory.Value.Hit.ToString(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_name_a_name_without_HIP_and_relays_without_addresses_are_told_apart()
    {
        _dns.AddAddress("www.example.", "198.51.100.8");
        _dns.Add("bob.example.", HipResourceRecord.RecordType, HipRecordIdentity.CreateRecord(Bob.Value, ["relay9.example."]).ToArray());
        _dns.Add("bad.example.", HipResourceRecord.RecordType, [16, 3, 0]);
        var resolver = Resolver();

        var missing = await Assert.ThrowsAsync<NameResolutionException>(() => resolver.ResolveAsync("nobody.example.", Ct));
        Assert.Equal(NameResolutionFailure.NotFound, missing.Failure);
        Assert.Contains("NXDOMAIN", missing.Message, StringComparison.Ordinal);

        var noHip = await Assert.ThrowsAsync<NameResolutionException>(() => resolver.ResolveAsync("www.example.", Ct));
        Assert.Equal(NameResolutionFailure.NoHipRecord, noHip.Failure);
        Assert.Contains("hipnat dns-record", noHip.Message, StringComparison.Ordinal);

        var noRelay = await Assert.ThrowsAsync<NameResolutionException>(() => resolver.ResolveAsync("bob.example.", Ct));
        Assert.Equal(NameResolutionFailure.NoLocators, noRelay.Failure);
        Assert.Contains("relay9.example.", noRelay.Message, StringComparison.Ordinal);

        var malformed = await Assert.ThrowsAsync<NameResolutionException>(() => resolver.ResolveAsync("bad.example.", Ct));
        Assert.Equal(NameResolutionFailure.BadRecord, malformed.Failure);

        var invalid = await Assert.ThrowsAsync<NameResolutionException>(() => resolver.ResolveAsync("bad..name", Ct));
        Assert.Equal(NameResolutionFailure.InvalidName, invalid.Failure);
    }

    [Fact]
    public async Task A_DNS_server_that_does_not_answer_is_a_DNS_failure_naming_it()
    {
        var settings = new DnsSettings { Timeout = TimeSpan.FromMilliseconds(200), Retries = 0 };
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        settings.Servers.Add((IPEndPoint)silent.Client.LocalEndPoint!);
        var resolver = new NameResolver(new DnsClientLookup(settings), null, false, () => _now);

        var e = await Assert.ThrowsAsync<NameResolutionException>(() => resolver.ResolveAsync("bob.example.", Ct));

        Assert.Equal(NameResolutionFailure.DnsFailure, e.Failure);
        Assert.Contains(settings.Servers[0].ToString(), e.Message, StringComparison.Ordinal);
        Assert.True(e.HipQueryFailed);
    }

    [Theory]
    [InlineData("nobody.example.", NameResolutionFailure.NotFound)]
    [InlineData("www.example.", NameResolutionFailure.NoHipRecord)]
    public async Task A_negative_answer_carries_the_negative_TTL_of_its_SOA(string name, NameResolutionFailure failure)
    {
        _dns.AddAddress("www.example.", "192.0.2.80");
        _dns.NegativeSoa = (900, 120);
        var e = await Assert.ThrowsAsync<NameResolutionException>(() => Resolver().ResolveAsync(name, Ct));
        Assert.Equal(failure, e.Failure);
        // RFC 2308 §5: the smaller of the SOA's TTL and its MINIMUM.
        Assert.Equal(TimeSpan.FromSeconds(120), e.NegativeTtl);
        Assert.False(e.HipQueryFailed);

        _dns.NegativeSoa = null;
        e = await Assert.ThrowsAsync<NameResolutionException>(() => Resolver().ResolveAsync(name, Ct));
        Assert.Null(e.NegativeTtl);
    }

    [Fact]
    public async Task The_names_file_comes_before_the_DNS_and_is_read_again_when_it_changes()
    {
        _dns.Add("bob.example.", HipResourceRecord.RecordType, HipRecordIdentity.CreateRecord(Bob.Value, ["relay1.example."]).ToArray());
        _dns.AddAddress("relay1.example.", "203.0.113.1");
        var path = _dir.File("hosts");
        await File.WriteAllTextAsync(path, $"# site names\nbob.example {Mallory.Value.Hit} 192.0.2.5:10600 hip://192.0.2.6\n", Ct);
        var resolver = Resolver(path, required: true);

        var peer = await resolver.ResolveAsync("BOB.example.", Ct);
        Assert.Equal(Mallory.Value.Hit, peer.Hit);
        Assert.Equal($"names file {path} line 2", peer.Source);
        Assert.Equal(2, peer.Locators.Count);
        Assert.Null(peer.Expires);
        Assert.Equal(0, _dns.Queries);

        await File.WriteAllTextAsync(path, "# bob moved to DNS\n", Ct);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));
        var fromDns = await resolver.ResolveAsync("bob.example.", Ct);
        Assert.Equal(Bob.Value.Hit, fromDns.Hit);
        Assert.Equal("DNS", fromDns.Source);

        await File.WriteAllTextAsync(path, "bob.example. not-a-hit\n", Ct);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(10));
        var bad = await Assert.ThrowsAsync<NameResolutionException>(() => resolver.ResolveAsync("bob.example.", Ct));
        Assert.Equal(NameResolutionFailure.NamesFile, bad.Failure);
        Assert.Contains("line 1", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_required_names_file_that_is_missing_is_a_config_error()
    {
        var resolver = Resolver(_dir.File("missing-hosts"), required: true);
        var e = Assert.Throws<ConfigException>(resolver.LoadNamesFile);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);

        // The default path is optional.
        Resolver(_dir.File("missing-hosts"), required: false).LoadNamesFile();
    }
}
