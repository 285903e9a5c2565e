using System.Net;
using System.Net.Sockets;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Tests.Stun;

/// <summary>
/// The decisions behind `hipnat netcheck`: RFC 4787 §4.1 mapping behaviour from (server, reflexive) pairs, no NAT,
/// RTT median, and <see cref="StunNetcheck"/> on real loopback sockets against in-process responders (one of which
/// pretends to be a NAT by answering with a made-up mapping).
/// </summary>
public class StunNetcheckTests
{
    private static readonly IPAddress ServerA = IPAddress.Parse("203.0.113.10");
    private static readonly IPAddress ServerB = IPAddress.Parse("203.0.113.11");
    private static readonly IPAddress Public = IPAddress.Parse("203.0.113.12");
    private static readonly IPEndPoint Local = new(IPAddress.Any, 40000);

    private static IPEndPoint Ep(IPAddress a, int port) => new(a, port);

    [Fact]
    public void SameReflexiveFromTwoAddressesAndTwoPortsIsEndpointIndependent()
    {
        var r = Ep(Public, 40000 + 1);
        var v = StunMappingComparison.Analyze([(Ep(ServerA, 3478), r), (Ep(ServerA, 3479), r), (Ep(ServerB, 3478), r)], Local, [IPAddress.Parse("198.18.1.10")]);
        Assert.Equal(NatMappingBehavior.EndpointIndependent, v.Behavior);
        Assert.Equal(false, v.VariesByAddress);
        Assert.Equal(false, v.VariesByPort);
        Assert.Equal(3, v.Destinations);
        Assert.Equal(2, v.DestinationAddresses);
        Assert.Equal(true, v.BehindNat);
        Assert.Equal([r], v.Reflexive);
        Assert.False(v.DependsOnDestination);
    }

    [Fact]
    public void APortChangeBetweenTwoPortsOfOneServerIsAddressAndPortDependent()
    {
        var v = StunMappingComparison.Analyze([(Ep(ServerA, 3478), Ep(Public, 1111)), (Ep(ServerA, 3479), Ep(Public, 2222)), (Ep(ServerB, 3478), Ep(Public, 3333))], Local);
        Assert.Equal(NatMappingBehavior.AddressAndPortDependent, v.Behavior);
        Assert.Equal(true, v.VariesByPort);
        Assert.Equal(true, v.VariesByAddress);
        Assert.Equal(3, v.Reflexive.Count);
        Assert.True(v.DependsOnDestination);
    }

    [Fact]
    public void SameMappingForTwoPortsButNotForTwoAddressesIsAddressDependent()
    {
        var v = StunMappingComparison.Analyze([(Ep(ServerA, 3478), Ep(Public, 1111)), (Ep(ServerA, 3479), Ep(Public, 1111)), (Ep(ServerB, 3478), Ep(Public, 3333))], Local);
        Assert.Equal(NatMappingBehavior.AddressDependent, v.Behavior);
        Assert.Equal(false, v.VariesByPort);
        Assert.Equal(true, v.VariesByAddress);
    }

    [Fact]
    public void TwoServerAddressesAloneCannotTellAddressFromAddressAndPortDependent()
    {
        var v = StunMappingComparison.Analyze([(Ep(ServerA, 3478), Ep(Public, 1111)), (Ep(ServerB, 3478), Ep(Public, 2222))], Local);
        Assert.Equal(NatMappingBehavior.DestinationDependent, v.Behavior);
        Assert.Equal(true, v.VariesByAddress);
        Assert.Null(v.VariesByPort);
    }

    [Fact]
    public void TwoPortsOfOneServerThatAgreeAreEndpointIndependentAsFarAsTested()
    {
        var v = StunMappingComparison.Analyze([(Ep(ServerA, 3478), Ep(Public, 1111)), (Ep(ServerA, 3479), Ep(Public, 1111))], Local);
        Assert.Equal(NatMappingBehavior.EndpointIndependent, v.Behavior);
        Assert.Equal(1, v.DestinationAddresses); // the CLI says an address-dependent mapping would look the same
        Assert.Null(v.VariesByAddress);
    }

    [Fact]
    public void ADifferentPublicAddressPerServerIsDestinationDependentToo()
    {
        // A NAT with an address pool and "arbitrary" pooling (RFC 4787 §4.1): same port, other address.
        var v = StunMappingComparison.Analyze([(Ep(ServerA, 3478), Ep(Public, 1111)), (Ep(ServerB, 3478), Ep(IPAddress.Parse("203.0.113.99"), 1111))], Local);
        Assert.Equal(NatMappingBehavior.DestinationDependent, v.Behavior);
    }

    [Fact]
    public void OneAnswerOrNoneIsUnknown()
    {
        var one = StunMappingComparison.Analyze([(Ep(ServerA, 3478), Ep(Public, 1111)), (Ep(ServerB, 3478), null)], Local);
        Assert.Equal(NatMappingBehavior.Unknown, one.Behavior);
        Assert.Equal(true, one.BehindNat); // the reflexive address is not local: there is a NAT, of unknown behaviour
        Assert.Equal(1, one.Destinations);

        var none = StunMappingComparison.Analyze([(Ep(ServerA, 3478), null), (Ep(ServerB, 3478), null)], Local);
        Assert.Equal(NatMappingBehavior.Unknown, none.Behavior);
        Assert.Null(none.BehindNat);
        Assert.Empty(none.Reflexive);
    }

    [Fact]
    public void AReflexiveAddressThatIsALocalAddressWithTheSocketsPortMeansNoNat()
    {
        var host = IPAddress.Parse("203.0.113.20");
        var addresses = new[] { IPAddress.Loopback, host };
        var v = StunMappingComparison.Analyze([(Ep(ServerA, 3478), Ep(host, 40000)), (Ep(ServerB, 3478), Ep(host, 40000))], Local, addresses);
        Assert.Equal(NatMappingBehavior.NoNat, v.Behavior);
        Assert.Equal(false, v.BehindNat);

        // Even one server suffices for "no NAT".
        Assert.Equal(NatMappingBehavior.NoNat, StunMappingComparison.Analyze([(Ep(ServerA, 3478), Ep(host, 40000))], Local, addresses).Behavior);

        // A local address with another port: something translated the port (a NAT on the host, say).
        var translated = StunMappingComparison.Analyze([(Ep(ServerA, 3478), Ep(host, 40001)), (Ep(ServerB, 3478), Ep(host, 40001))], Local, addresses);
        Assert.Equal(NatMappingBehavior.EndpointIndependent, translated.Behavior);
        Assert.Equal(true, translated.BehindNat);

        // Bound to a concrete address: that address and port.
        Assert.Equal(NatMappingBehavior.NoNat, StunMappingComparison.Analyze([(Ep(ServerA, 3478), Ep(host, 40000))], Ep(host, 40000)).Behavior);
    }

    [Fact]
    public void Ipv4MappedAddressesCompareAsIpv4()
    {
        var mapped = new IPEndPoint(Public.MapToIPv6(), 1111);
        var v = StunMappingComparison.Analyze([(Ep(ServerA, 3478), mapped), (Ep(ServerB, 3478), Ep(Public, 1111))], Local);
        Assert.Equal(NatMappingBehavior.EndpointIndependent, v.Behavior);
        Assert.Equal([Ep(Public, 1111)], v.Reflexive);
    }

    [Fact]
    public void ClassifyKeepsTheCoarseVerdict()
    {
        var results = new[]
        {
            new StunBindingResult(default, Ep(ServerA, 3478), StunBindingOutcome.Success, Ep(Public, 1111), null, TimeSpan.FromMilliseconds(1), 1),
            new StunBindingResult(default, Ep(ServerA, 3479), StunBindingOutcome.Success, Ep(Public, 2222), null, TimeSpan.FromMilliseconds(1), 1),
        };
        Assert.Equal(NatMappingBehavior.DestinationDependent, StunMappingComparison.Classify(results));
    }

    [Fact]
    public void MedianOfOddAndEvenCounts()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(2), StunNetcheck.Median([TimeSpan.FromMilliseconds(9), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2)]));
        Assert.Equal(TimeSpan.FromMilliseconds(2.5), StunNetcheck.Median([TimeSpan.FromMilliseconds(4), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(3)]));
        Assert.Throws<ArgumentException>(() => StunNetcheck.Median([]));
    }

    [Fact]
    public void OnLoopbackTwoServersSeeTheLocalAddressAndEveryTimedSampleCounts()
    {
        using var a = new LoopbackResponder();
        using var b = new LoopbackResponder();
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var result = StunNetcheck.Run(client, [a.EndPoint, b.EndPoint], new StunNetcheckOptions { Samples = 4, Timeout = TimeSpan.FromSeconds(5) });

        Assert.True(result.UdpWorks);
        Assert.Equal(NatMappingBehavior.NoNat, result.Mapping.Behavior);
        Assert.Null(result.Hairpinning); // not applicable without a NAT
        Assert.All(result.Servers, s =>
        {
            Assert.Equal(client.LocalEndPoint, s.Reflexive);
            Assert.Equal(5, s.Sent); // one untimed discovery request, then four timed ones
            Assert.Equal(5, s.Answered);
            Assert.Equal(4, s.Rtts.Count);
            Assert.All(s.Rtts, t => Assert.True(t > TimeSpan.Zero));
            Assert.True(s.MinRtt <= s.MedianRtt);
            Assert.False(s.ReflexiveChanged);
        });
    }

    [Fact]
    public void ASilentServerIsAskedOnceAndTheOthersStillClassify()
    {
        using var a = new LoopbackResponder(_ => Ep(Public, 5000));
        using var b = new LoopbackResponder(_ => Ep(Public, 5000));
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var result = StunNetcheck.Run(
            client, [a.EndPoint, (IPEndPoint)silent.LocalEndPoint!, b.EndPoint],
            new StunNetcheckOptions { Samples = 2, Timeout = TimeSpan.FromMilliseconds(700), HairpinTimeout = TimeSpan.FromMilliseconds(200) });

        var quiet = result.Servers[1];
        Assert.Null(quiet.Reflexive);
        Assert.Equal(StunBindingOutcome.Timeout, quiet.Outcome);
        Assert.Equal(1, quiet.Sent);
        Assert.Equal(0, quiet.Answered);
        Assert.Null(quiet.MedianRtt);

        // Both responders report 203.0.113.12:5000, on two loopback ports of one address.
        Assert.Equal(NatMappingBehavior.EndpointIndependent, result.Mapping.Behavior);
        Assert.Equal(true, result.Mapping.BehindNat);

        // Hairpinning was tried (there is a "NAT") and failed: nothing listens for 203.0.113.12 here.
        Assert.Equal(false, result.Hairpinning);
    }

    [Fact]
    public void ANatThatMapsEachServerPortDifferentlyIsAddressAndPortDependent()
    {
        using var a = new LoopbackResponder(_ => Ep(Public, 1111));
        using var b = new LoopbackResponder(_ => Ep(Public, 2222));
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var result = StunNetcheck.Run(client, [a.EndPoint, b.EndPoint], new StunNetcheckOptions { Samples = 1, Hairpin = false });
        Assert.Equal(NatMappingBehavior.AddressAndPortDependent, result.Mapping.Behavior);
        Assert.Null(result.Hairpinning);
    }

    [Fact]
    public void NothingAnsweringMeansUdpDoesNotWork()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var result = StunNetcheck.Run(client, [(IPEndPoint)silent.LocalEndPoint!], new StunNetcheckOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        Assert.False(result.UdpWorks);
        Assert.False(result.NothingSent); // the requests went out; nobody answered
        Assert.Equal(NatMappingBehavior.Unknown, result.Mapping.Behavior);
        Assert.Null(result.Hairpinning);
    }

    [Fact]
    public void RequestsTheHostRefusesToSendAreNotUdpBlocked()
    {
        // An IPv6 server from an IPv4 socket: every send fails locally, like a family without a route.
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var result = StunNetcheck.Run(client, [new IPEndPoint(IPAddress.IPv6Loopback, 3478)], new StunNetcheckOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        Assert.False(result.UdpWorks);
        Assert.True(result.NothingSent);
        Assert.NotNull(result.LastSendError);
    }

    [Fact]
    public void HairpinProbeSeesItsNonceAndIgnoresOtherDatagrams()
    {
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        // Another datagram waiting on the socket (a late STUN answer, say) is not taken for the nonce.
        using (var other = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            other.SendTo("not the nonce"u8.ToArray(), client.LocalEndPoint);
        }

        // On loopback the "reflexive" address is the socket itself, so the nonce arrives.
        Assert.True(StunNetcheck.ProbeHairpin(client, client.LocalEndPoint, TimeSpan.FromSeconds(2)));

        // Sent to a port nobody listens on, it never arrives; the probe gives up after its wait.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var started = DateTime.UtcNow;
        Assert.False(StunNetcheck.ProbeHairpin(client, (IPEndPoint)closed.LocalEndPoint!, TimeSpan.FromMilliseconds(300)));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void SendFailuresAreCounted()
    {
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.False(client.SendTo(new IPEndPoint(IPAddress.IPv6Loopback, 3478), [1, 2, 3])); // IPv6 destination on an IPv4 socket
        Assert.Equal(1, client.SendErrors);
        Assert.NotNull(client.LastSendError);
    }

    /// <summary>A Binding responder on a loopback socket, on its own thread; <c>mapped</c> can fake a NAT's mapping.</summary>
    private sealed class LoopbackResponder : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly Thread _thread;
        private readonly StunServer _server = new();
        private volatile bool _stopped;

        public LoopbackResponder(Func<IPEndPoint, IPEndPoint>? mapped = null)
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            _thread = new Thread(() =>
            {
                var buffer = new byte[2048];
                while (!_stopped)
                {
                    try
                    {
                        if (!_socket.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead))
                        {
                            continue;
                        }

                        EndPoint remote = new IPEndPoint(IPAddress.Any, 0);
                        int n = _socket.ReceiveFrom(buffer, ref remote);
                        var from = (IPEndPoint)remote;
                        var result = _server.Handle(mapped?.Invoke(from) ?? from, buffer.AsSpan(0, n));
                        if (result.Response is { } response)
                        {
                            _socket.SendTo(response, from);
                        }
                    }
                    catch (SocketException)
                    {
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                }
            })
            { IsBackground = true };
            _thread.Start();
        }

        public IPEndPoint EndPoint { get; }

        public void Dispose()
        {
            _stopped = true;
            _thread.Join();
            _socket.Dispose();
        }
    }
}
