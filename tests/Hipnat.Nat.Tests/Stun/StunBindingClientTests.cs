using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Tests.Stun;

public class StunBindingClientTests
{
    private static readonly IPEndPoint ServerA = new(IPAddress.Parse("198.51.100.1"), 3478);
    private static readonly IPEndPoint ServerB = new(IPAddress.Parse("203.0.113.5"), 3478);

    private static List<StunTransmit> Drain(StunBindingClient client)
    {
        var list = new List<StunTransmit>();
        while (client.TryPollTransmit(out var t))
        {
            list.Add(t);
        }

        return list;
    }

    [Fact]
    public void RetransmitsOnTheRfc8489ScheduleAndTimesOutAt39500Ms()
    {
        // RFC 8489 §6.2.1: requests at 0, 500, 1500, 3500, 7500, 15500, 31500 ms; failure at 39500 ms.
        var client = new StunBindingClient();
        var id = client.Start(ServerA, TimeSpan.Zero);
        var sentAt = new List<double>();
        byte[]? first = null;
        foreach (var t in Drain(client))
        {
            sentAt.Add(0);
            first = t.Payload;
        }

        StunBindingResult? result = null;
        while (client.NextTimeout is { } next)
        {
            client.HandleTimeout(next);
            foreach (var t in Drain(client))
            {
                Assert.Equal(ServerA, t.Destination);
                Assert.Equal(first, t.Payload); // a retransmission is the same request, same transaction ID
                sentAt.Add(next.TotalMilliseconds);
            }

            if (client.TryPollResult(out var r))
            {
                result = r;
                Assert.Equal(39500, next.TotalMilliseconds);
            }
        }

        Assert.Equal([0, 500, 1500, 3500, 7500, 15500, 31500], sentAt);
        Assert.NotNull(result);
        Assert.Equal(id, result.TransactionId);
        Assert.Equal(StunBindingOutcome.Timeout, result.Outcome);
        Assert.Equal(7, result.Transmissions);
        Assert.Equal(0, client.PendingCount);
    }

    [Fact]
    public void ScheduleFollowsConfiguredRtoRcAndRm()
    {
        var options = new StunBindingClientOptions
        {
            Retransmission = new StunRetransmissionOptions { InitialRto = TimeSpan.FromMilliseconds(100), Rc = 3, Rm = 4 },
        };
        var client = new StunBindingClient(options);
        client.Start(ServerA, TimeSpan.FromSeconds(10));
        var times = new List<double> { 10_000 };
        Drain(client);
        while (client.NextTimeout is { } next)
        {
            client.HandleTimeout(next);
            if (Drain(client).Count > 0)
            {
                times.Add(next.TotalMilliseconds);
            }

            if (client.TryPollResult(out _))
            {
                times.Add(-next.TotalMilliseconds);
            }
        }

        Assert.Equal([10_000, 10_100, 10_300, -10_700], times);
        Assert.Equal(TimeSpan.FromMilliseconds(700), options.Retransmission.TransactionTimeout(TimeSpan.FromMilliseconds(100)));
        Assert.Equal(TimeSpan.FromMilliseconds(39500), StunRetransmissionOptions.Default.TransactionTimeout(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public void EarlyTimerTicksDoNothing()
    {
        var client = new StunBindingClient();
        client.Start(ServerA, TimeSpan.Zero);
        Drain(client);
        client.HandleTimeout(TimeSpan.FromMilliseconds(499));
        Assert.Empty(Drain(client));
        Assert.Equal(TimeSpan.FromMilliseconds(500), client.NextTimeout);
    }

    [Fact]
    public void ResponseFromTheServerEndsTheTransactionWithTheReflexiveAddress()
    {
        var client = new StunBindingClient();
        var server = new StunServer(new StunServerOptions { Software = "test server" });
        var reflexive = new IPEndPoint(IPAddress.Parse("192.0.2.77"), 61000);
        var id = client.Start(ServerA, TimeSpan.Zero);
        var request = Drain(client).Single();
        var response = server.Handle(reflexive, request.Payload);
        Assert.Equal(StunServerAction.Responded, response.Action);

        Assert.True(client.HandleDatagram(ServerA, response.Response, TimeSpan.FromMilliseconds(40)));
        Assert.True(client.TryPollResult(out var result));
        Assert.Equal(id, result.TransactionId);
        Assert.True(result.Succeeded);
        Assert.Equal(reflexive, result.MappedAddress);
        Assert.Equal("test server", result.ServerSoftware);
        Assert.Equal(TimeSpan.FromMilliseconds(40), result.Elapsed);
        Assert.Null(client.NextTimeout);

        // A duplicate response (to a retransmission) is no longer matched.
        Assert.False(client.HandleDatagram(ServerA, response.Response, TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public void ResponsesFromAnotherSourceOrTransactionAreNotTaken()
    {
        var client = new StunBindingClient();
        var server = new StunServer();
        client.Start(ServerA, TimeSpan.Zero);
        var request = Drain(client).Single();
        var response = server.Handle(ServerB, request.Payload).Response!;

        Assert.False(client.HandleDatagram(ServerB, response, TimeSpan.Zero));
        var otherTx = (byte[])response.Clone();
        otherTx[19] ^= 1;
        Assert.False(client.HandleDatagram(ServerA, otherTx, TimeSpan.Zero));
        Assert.False(client.HandleDatagram(ServerA, request.Payload, TimeSpan.Zero)); // a request is not a response
        Assert.False(client.TryPollResult(out _));
        Assert.Equal(1, client.PendingCount);
    }

    [Fact]
    public void ParallelServersShowAnEndpointIndependentMapping()
    {
        var client = new StunBindingClient();
        var server = new StunServer();
        var nat = new IPEndPoint(IPAddress.Parse("192.0.2.10"), 40001);
        client.Start(ServerA, TimeSpan.Zero);
        client.Start(ServerB, TimeSpan.Zero);
        var requests = Drain(client);
        Assert.Equal(2, requests.Count);
        foreach (var r in requests)
        {
            Assert.True(client.HandleDatagram(r.Destination, server.Handle(nat, r.Payload).Response, TimeSpan.FromMilliseconds(10)));
        }

        var results = new List<StunBindingResult>();
        while (client.TryPollResult(out var result))
        {
            results.Add(result);
        }

        Assert.Equal(2, results.Count);
        Assert.Equal(NatMappingBehavior.EndpointIndependent, StunMappingComparison.Classify(results));
        Assert.Equal(NatMappingBehavior.NoNat, StunMappingComparison.Classify(results, nat));
    }

    [Fact]
    public void DifferentMappingsPerDestinationAreDestinationDependent()
    {
        var client = new StunBindingClient();
        var server = new StunServer();
        client.Start(ServerA, TimeSpan.Zero);
        client.Start(new IPEndPoint(ServerA.Address, 3479), TimeSpan.Zero);
        int port = 50000;
        foreach (var r in Drain(client))
        {
            // A symmetric NAT gives each destination its own mapping.
            client.HandleDatagram(r.Destination, server.Handle(new IPEndPoint(IPAddress.Parse("192.0.2.10"), port++), r.Payload).Response, TimeSpan.Zero);
        }

        var results = new List<StunBindingResult>();
        while (client.TryPollResult(out var result))
        {
            results.Add(result);
        }

        Assert.Equal(NatMappingBehavior.DestinationDependent, StunMappingComparison.Classify(results));
        Assert.Equal(NatMappingBehavior.Unknown, StunMappingComparison.Classify(results.Take(1)));
    }

    [Fact]
    public void ErrorResponsesEndTheTransactionWithTheCode()
    {
        var client = new StunBindingClient();
        var id = client.Start(ServerA, TimeSpan.Zero);
        Drain(client);
        var error = new StunMessageWriter(StunMethod.Binding, StunClass.ErrorResponse, id)
            .AddErrorCode(420).AddUnknownAttributes([(StunAttributeType)0x7777]).ToArray();
        Assert.True(client.HandleDatagram(ServerA, error, TimeSpan.Zero));
        Assert.True(client.TryPollResult(out var result));
        Assert.Equal(StunBindingOutcome.ErrorResponse, result.Outcome);
        Assert.Equal(420, result.Error!.Value.Code);
        Assert.Equal(new ushort[] { 0x7777 }, result.UnknownAttributes);
    }

    [Fact]
    public void SuccessWithoutMappedAddressOrWithUnknownRequiredAttributesFails()
    {
        var client = new StunBindingClient();
        var a = client.Start(ServerA, TimeSpan.Zero);
        var b = client.Start(ServerB, TimeSpan.Zero);
        var c = client.Start(new IPEndPoint(ServerB.Address, 1), TimeSpan.Zero);
        Drain(client);
        client.HandleDatagram(ServerA, new StunMessageWriter(StunMethod.Binding, StunClass.SuccessResponse, a).AddSoftware("x").ToArray(), TimeSpan.Zero);
        client.HandleDatagram(ServerB, new StunMessageWriter(StunMethod.Binding, StunClass.SuccessResponse, b)
            .AddXorMappedAddress(ServerA).AddAttribute((StunAttributeType)0x7000, [1]).ToArray(), TimeSpan.Zero);
        client.HandleDatagram(new IPEndPoint(ServerB.Address, 1), new StunMessageWriter(StunMethod.Binding, StunClass.ErrorResponse, c).ToArray(), TimeSpan.Zero);
        var outcomes = new Dictionary<StunTransactionId, StunBindingOutcome>();
        while (client.TryPollResult(out var r))
        {
            outcomes[r.TransactionId] = r.Outcome;
        }

        Assert.Equal(StunBindingOutcome.MissingMappedAddress, outcomes[a]);
        Assert.Equal(StunBindingOutcome.UnknownComprehensionRequired, outcomes[b]);
        Assert.Equal(StunBindingOutcome.MalformedResponse, outcomes[c]);
    }

    [Fact]
    public void ShortTermCredentialsAuthenticateBothWays()
    {
        var key = StunCredentials.ShortTermKey("secret");
        var client = new StunBindingClient();
        var server = new StunServer(new StunServerOptions { ShortTermKeyLookup = u => u == "L:R" ? key : null });
        var request = new StunBindingRequest { Username = "L:R", ShortTermKey = key, Priority = 77, IceControlling = 5, UseCandidate = true };
        client.Start(ServerA, TimeSpan.Zero, request);
        var sent = Drain(client).Single();
        Assert.Equal(StunError.None, StunMessage.TryParse(sent.Payload, out var parsed));
        Assert.Equal(77u, parsed!.Priority);
        Assert.True(parsed.UseCandidate);
        Assert.Equal(5ul, parsed.IceControlling);

        var response = server.Handle(ServerB, sent.Payload);
        Assert.Null(response.ResponseErrorCode);
        Assert.True(client.HandleDatagram(ServerA, response.Response, TimeSpan.Zero));
        Assert.True(client.TryPollResult(out var result));
        Assert.True(result.Succeeded);
        Assert.Equal(ServerB, result.MappedAddress);
    }

    [Fact]
    public void ForgedResponsesAreDiscardedAndReportedAsIntegrityViolation()
    {
        var key = StunCredentials.ShortTermKey("secret");
        var client = new StunBindingClient();
        var id = client.Start(ServerA, TimeSpan.Zero, new StunBindingRequest { Username = "L:R", ShortTermKey = key });
        Drain(client);

        // RFC 8489 §9.1.4: a response without, or with a wrong, MESSAGE-INTEGRITY is discarded; retransmits go on.
        var unprotected = new StunMessageWriter(StunMethod.Binding, StunClass.SuccessResponse, id).AddXorMappedAddress(ServerB).ToArray();
        var forged = new StunMessageWriter(StunMethod.Binding, StunClass.SuccessResponse, id).AddXorMappedAddress(ServerB)
            .AddMessageIntegrity(StunCredentials.ShortTermKey("guess")).ToArray();
        Assert.True(client.HandleDatagram(ServerA, unprotected, TimeSpan.Zero));
        Assert.True(client.HandleDatagram(ServerA, forged, TimeSpan.Zero));
        Assert.False(client.TryPollResult(out _));

        while (client.NextTimeout is { } next)
        {
            client.HandleTimeout(next);
        }

        Assert.True(client.TryPollResult(out var result));
        Assert.Equal(StunBindingOutcome.IntegrityViolation, result.Outcome);
    }

    [Fact]
    public void RequestsCarryFingerprintAndSoftwareByDefault()
    {
        var client = new StunBindingClient(new StunBindingClientOptions { Software = "probe" });
        client.Start(ServerA, TimeSpan.Zero);
        var sent = Drain(client).Single();
        Assert.Equal(StunError.None, StunMessage.TryParse(sent.Payload, out var m));
        Assert.Equal("probe", m!.Software);
        Assert.True(m.HasFingerprint);
        Assert.Equal(StunClass.Request, m.Class);
    }

    [Fact]
    public void RtoEstimatorFollowsRfc6298AndStaysAtOrAboveTheInitialRto()
    {
        var estimator = new StunRtoEstimator(TimeSpan.FromMilliseconds(500));
        Assert.Equal(TimeSpan.FromMilliseconds(500), estimator.Current(TimeSpan.Zero));
        estimator.AddSample(TimeSpan.FromMilliseconds(20), TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromMilliseconds(500), estimator.Current(TimeSpan.Zero));

        var slow = new StunRtoEstimator(TimeSpan.FromMilliseconds(500));
        slow.AddSample(TimeSpan.FromSeconds(2), TimeSpan.Zero); // SRTT 2 s, RTTVAR 1 s: RTO 6 s
        Assert.Equal(TimeSpan.FromSeconds(6), slow.Current(TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.FromMilliseconds(500), slow.Current(TimeSpan.FromMinutes(12))); // stale after 10 minutes
    }

    [Fact]
    public void CachedRtoStretchesTheNextTransactionToASlowServer()
    {
        var client = new StunBindingClient(new StunBindingClientOptions { TransactionIdFactory = null });
        var server = new StunServer();
        client.Start(ServerA, TimeSpan.Zero);
        var request = Drain(client).Single();
        client.HandleDatagram(ServerA, server.Handle(ServerB, request.Payload).Response, TimeSpan.FromSeconds(2));
        client.TryPollResult(out _);

        client.Start(ServerA, TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(9), client.NextTimeout);
        client.Start(ServerB, TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(3.5), client.NextTimeout);
    }
}
