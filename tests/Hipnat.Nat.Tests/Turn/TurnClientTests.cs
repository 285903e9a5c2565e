using System.Net;
using Hipnat.Nat.Stun;
using Hipnat.Nat.Turn;
using static Hipnat.Nat.Tests.Turn.ScriptedTurnServer;

namespace Hipnat.Nat.Tests.Turn;

public class TurnClientTests
{
    private static readonly IPEndPoint PeerA = new(IPAddress.Parse("203.0.113.10"), 7000);
    private static readonly IPEndPoint PeerB = new(IPAddress.Parse("203.0.113.11"), 7001);
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(100);

    [Fact]
    public void AllocateAnswersThe401ChallengeWithLongTermCredentials()
    {
        var server = new ScriptedTurnServer();
        var client = NewClient(lifetime: TimeSpan.FromMinutes(20));
        client.Allocate(T0);
        Assert.Equal(TurnClientState.Allocating, client.State);

        // RFC 8489 §9.2.3.1: the first request carries no credentials at all.
        var first = Expect(client, StunMethod.Allocate);
        Assert.Equal((byte)17, first.RequestedTransport);
        Assert.Equal(1200u, first.Lifetime);
        Assert.Equal("hipnat", first.Software);
        Assert.Null(first.Username);
        Assert.Null(first.Realm);
        Assert.Null(first.Nonce);
        Assert.False(first.HasMessageIntegrity);
        Assert.True(first.HasFingerprint);

        Deliver(client, server.Challenge(first), T0 + TimeSpan.FromMilliseconds(30));
        var second = Expect(client, StunMethod.Allocate);
        Assert.NotEqual(first.TransactionId, second.TransactionId); // a new transaction (RFC 8489 §9.2.5)
        server.AssertAuthenticated(second);
        Assert.Equal((byte)17, second.RequestedTransport);
        Assert.Equal("hipnat.test", client.Realm);

        Deliver(client, server.AllocateSuccess(second, lifetime: 1200), T0 + TimeSpan.FromMilliseconds(60));
        Assert.Equal(TurnClientState.Allocated, client.State);
        var allocated = Assert.IsType<TurnAllocated>(Assert.Single(Events(client)));
        Assert.Equal(Relayed, allocated.RelayedAddress);
        Assert.Equal(Mapped, allocated.MappedAddress);
        Assert.Equal(TimeSpan.FromMinutes(20), allocated.Lifetime);
        Assert.Equal(Relayed, client.RelayedAddress);
        Assert.Equal(Mapped, client.MappedAddress);
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(60) + TimeSpan.FromMinutes(20), client.ExpiresAt);
        Assert.Equal(0, client.PendingCount);
    }

    [Fact]
    public void A401ToCredentialsFailsWithUnauthenticated()
    {
        var server = new ScriptedTurnServer();
        var client = NewClient();
        client.Allocate(T0);
        Deliver(client, server.Challenge(Expect(client, StunMethod.Allocate)), T0);
        Deliver(client, server.Challenge(Expect(client, StunMethod.Allocate)), T0);
        ExpectNothing(client);
        var failed = Assert.IsType<TurnFailed>(Assert.Single(Events(client)));
        Assert.Equal(TurnFailure.Unauthenticated, failed.Reason);
        Assert.Equal(401, failed.Error!.Value.Code);
        Assert.Equal(TurnClientState.Failed, client.State);
    }

    [Fact]
    public void StaleNonceIsRetriedWithTheNewNonceUpToTheLimit()
    {
        var server = new ScriptedTurnServer();
        var client = NewClient();
        client.Allocate(T0);
        Deliver(client, server.Challenge(Expect(client, StunMethod.Allocate)), T0);
        for (int i = 1; i <= 3; i++)
        {
            var request = Expect(client, StunMethod.Allocate);
            server.AssertAuthenticated(request);
            server.Nonce = $"nonce-{i + 1}";
            Deliver(client, server.Challenge(request, StunErrorCode.StaleNonce), T0);
        }

        // The fourth 438 for the same request exceeds MaxStaleNonceRetries (3).
        var last = Expect(client, StunMethod.Allocate);
        Assert.Equal("nonce-4", last.Nonce);
        Deliver(client, server.Challenge(last, StunErrorCode.StaleNonce), T0);
        Assert.Equal(TurnFailure.StaleNonce, Assert.IsType<TurnFailed>(Assert.Single(Events(client))).Reason);
    }

    [Fact]
    public void StaleNonceOnARefreshIsRetried()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0);
        client.Refresh(T0 + TimeSpan.FromSeconds(5));
        var refresh = Expect(client, StunMethod.Refresh);
        server.Nonce = "fresh";
        Deliver(client, server.Challenge(refresh, StunErrorCode.StaleNonce), T0 + TimeSpan.FromSeconds(5));
        var retry = Expect(client, StunMethod.Refresh);
        server.AssertAuthenticated(retry);
        Deliver(client, server.Success(retry, w => w.AddLifetime(600)), T0 + TimeSpan.FromSeconds(6));
        Assert.IsType<TurnRefreshed>(Assert.Single(Events(client)));
        Assert.Equal(TurnClientState.Allocated, client.State);
        Assert.Equal(1, client.StaleNonceRetries);
    }

    [Fact]
    public void ResponsesWithABadIntegrityAreDiscardedAndEndAsIntegrityViolation()
    {
        var server = new ScriptedTurnServer();
        var client = NewClient();
        client.Allocate(T0);
        Deliver(client, server.Challenge(Expect(client, StunMethod.Allocate)), T0);
        var request = Expect(client, StunMethod.Allocate);

        var forger = new ScriptedTurnServer { Key = StunCredentials.LongTermKey("test", "hipnat.test", "guess") };
        Deliver(client, forger.AllocateSuccess(request), T0);
        var unsigned = StunMessageWriter.ResponseTo(request, StunClass.SuccessResponse)
            .AddXorRelayedAddress(Relayed).AddXorMappedAddress(Mapped).ToArray();
        Deliver(client, unsigned, T0);
        Assert.Equal(TurnClientState.Allocating, client.State);
        Assert.Empty(Events(client));

        while (client.NextTimeout is { } next)
        {
            client.HandleTimeout(next);
        }

        Assert.Equal(TurnFailure.IntegrityViolation, Assert.IsType<TurnFailed>(Assert.Single(Events(client))).Reason);
    }

    [Fact]
    public void AllocateRetransmitsAndTimesOut()
    {
        var client = NewClient();
        client.Allocate(TimeSpan.Zero);
        var times = new List<double>();
        while (client.TryPollTransmit(out _))
        {
            times.Add(0);
        }

        while (client.NextTimeout is { } next)
        {
            client.HandleTimeout(next);
            while (client.TryPollTransmit(out _))
            {
                times.Add(next.TotalMilliseconds);
            }
        }

        Assert.Equal([0, 500, 1500, 3500, 7500, 15500, 31500], times);
        Assert.Equal(TurnFailure.Timeout, Assert.IsType<TurnFailed>(Assert.Single(Events(client))).Reason);
    }

    [Fact]
    public void RefreshTimerFiresAMinuteBeforeExpiry()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0, lifetime: 600);
        Assert.Equal(T0 + TimeSpan.FromSeconds(540), client.NextTimeout);

        client.HandleTimeout(T0 + TimeSpan.FromSeconds(539));
        ExpectNothing(client);

        var at = T0 + TimeSpan.FromSeconds(540);
        client.HandleTimeout(at);
        var refresh = Expect(client, StunMethod.Refresh);
        server.AssertAuthenticated(refresh);
        Assert.Null(refresh.Lifetime); // no hint configured: the server's default
        Deliver(client, server.Success(refresh, w => w.AddLifetime(600)), at + TimeSpan.FromMilliseconds(20));
        Assert.Equal(TimeSpan.FromSeconds(600), Assert.IsType<TurnRefreshed>(Assert.Single(Events(client))).Lifetime);
        Assert.Equal(at + TimeSpan.FromMilliseconds(20) + TimeSpan.FromSeconds(540), client.NextTimeout);
    }

    [Fact]
    public void ShortLifetimesRefreshHalfWay()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0, lifetime: 60);
        Assert.Equal(T0 + TimeSpan.FromSeconds(30), client.NextTimeout);
    }

    [Fact]
    public void AllocationExpiresWhenRefreshesGetNoAnswer()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0, lifetime: 600);
        var refreshes = 0;
        while (client.NextTimeout is { } next)
        {
            client.HandleTimeout(next);
            while (client.TryPollTransmit(out var t))
            {
                Assert.Equal(StunError.None, StunMessage.TryParse(t.Payload, out var m));
                Assert.Equal(StunMethod.Refresh, m!.Method);
                refreshes++;
            }
        }

        // One transaction of 7 at 540 s timed out at 579.5 s, the next one ran until expiry at 600 s.
        Assert.True(refreshes > 7);
        Assert.Equal(TurnFailure.Expired, Assert.IsType<TurnFailed>(Assert.Single(Events(client))).Reason);
    }

    [Fact]
    public void DeallocateSendsLifetimeZero()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0);
        client.Deallocate(T0);
        Assert.Equal(TurnClientState.Deallocating, client.State);
        var refresh = Expect(client, StunMethod.Refresh);
        Assert.Equal(0u, refresh.Lifetime);
        server.AssertAuthenticated(refresh);
        Deliver(client, server.Success(refresh, w => w.AddLifetime(0)), T0);
        Assert.IsType<TurnDeallocated>(Assert.Single(Events(client)));
        Assert.Equal(TurnClientState.Closed, client.State);
        Assert.Null(client.NextTimeout);
    }

    [Fact]
    public void A437ToDeallocateCountsAsDone()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0);
        client.Deallocate(T0);
        Deliver(client, server.Error(Expect(client, StunMethod.Refresh), StunErrorCode.AllocationMismatch), T0);
        Assert.IsType<TurnDeallocated>(Assert.Single(Events(client)));
        Assert.Equal(TurnClientState.Closed, client.State);
    }

    [Fact]
    public void A437ToCreatePermissionMeansTheAllocationIsGone()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0);
        client.CreatePermission(T0, PeerA.Address);
        Deliver(client, server.Error(Expect(client, StunMethod.CreatePermission), StunErrorCode.AllocationMismatch), T0);
        Assert.Equal(TurnFailure.AllocationMismatch, Assert.IsType<TurnFailed>(Assert.Single(Events(client))).Reason);
        Assert.Equal(TurnClientState.Failed, client.State);
    }

    [Fact]
    public void TryAlternateReportsTheAlternateServer()
    {
        var server = new ScriptedTurnServer();
        var client = NewClient();
        client.Allocate(T0);
        Deliver(client, server.Challenge(Expect(client, StunMethod.Allocate)), T0);
        var alternate = new IPEndPoint(IPAddress.Parse("198.51.100.99"), 3478);
        Deliver(client, server.Error(Expect(client, StunMethod.Allocate), StunErrorCode.TryAlternate, w => w.AddAlternateServer(alternate)), T0);
        var failed = Assert.IsType<TurnFailed>(Assert.Single(Events(client)));
        Assert.Equal(TurnFailure.TryAlternate, failed.Reason);
        Assert.Equal(alternate, failed.AlternateServer);
    }

    [Fact]
    public void PermissionsAreCreatedAndRefreshedBeforeFiveMinutes()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0);
        client.CreatePermission(T0, PeerA.Address, PeerB.Address);
        var request = Expect(client, StunMethod.CreatePermission);
        Assert.Equal([new IPEndPoint(PeerA.Address, 0), new IPEndPoint(PeerB.Address, 0)], request.XorPeerAddresses);
        server.AssertAuthenticated(request);
        Deliver(client, server.Success(request), T0);
        Assert.Equal([PeerA.Address, PeerB.Address], Assert.IsType<TurnPermissionCreated>(Assert.Single(Events(client))).Peers);
        Assert.True(client.HasPermission(PeerA.Address));

        Assert.Equal(T0 + TimeSpan.FromMinutes(4), client.NextTimeout);
        client.HandleTimeout(T0 + TimeSpan.FromMinutes(4));
        var refresh = Expect(client, StunMethod.CreatePermission);
        Assert.Equal(2, refresh.XorPeerAddresses.Count);
        ExpectNothing(client);
        Deliver(client, server.Success(refresh), T0 + TimeSpan.FromMinutes(4));
        Assert.Equal(T0 + TimeSpan.FromMinutes(8), client.NextTimeout);
    }

    [Fact]
    public void FailedPermissionIsReported()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0);
        client.CreatePermission(T0, PeerA.Address);
        Deliver(client, server.Error(Expect(client, StunMethod.CreatePermission), StunErrorCode.Forbidden), T0);
        var failed = Assert.IsType<TurnPermissionFailed>(Assert.Single(Events(client)));
        Assert.Equal(403, failed.Error!.Value.Code);
        Assert.False(client.HasPermission(PeerA.Address));
        Assert.False(client.Send(PeerA, [1]));
        Assert.Equal(TurnClientState.Allocated, client.State);
    }

    [Fact]
    public void ChannelBindUsesChannelNumbersFrom0x4000AndRefreshesBeforeTenMinutes()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0, lifetime: 3600);
        ushort a = client.BindChannel(PeerA, T0);
        ushort b = client.BindChannel(PeerB, T0);
        Assert.Equal(0x4000, a);
        Assert.Equal(0x4001, b);
        Assert.Equal(a, client.BindChannel(PeerA, T0)); // same peer, same channel, and no second request in flight
        var bindA = Expect(client, StunMethod.ChannelBind);
        var bindB = Expect(client, StunMethod.ChannelBind);
        ExpectNothing(client);
        Assert.Equal((ushort)0x4000, bindA.ChannelNumber);
        Assert.Equal(PeerA, bindA.XorPeerAddress);
        server.AssertAuthenticated(bindA);
        Assert.Null(client.GetChannel(PeerA));

        Deliver(client, server.Success(bindA), T0);
        Deliver(client, server.Success(bindB), T0);
        var events = Events(client);
        Assert.Equal([new TurnChannelBound(0x4000, PeerA), new TurnChannelBound(0x4001, PeerB)], events);
        Assert.Equal((ushort)0x4000, client.GetChannel(PeerA));
        Assert.True(client.HasPermission(PeerA.Address)); // ChannelBind installs the permission (RFC 8656 §12.2)

        // The permission (4 min) comes due before the channel (9 min).
        client.HandleTimeout(T0 + TimeSpan.FromMinutes(4));
        var permission = Expect(client, StunMethod.CreatePermission);
        Deliver(client, server.Success(permission), T0 + TimeSpan.FromMinutes(4));
        client.HandleTimeout(T0 + TimeSpan.FromMinutes(8));
        Deliver(client, server.Success(Expect(client, StunMethod.CreatePermission)), T0 + TimeSpan.FromMinutes(8));
        Events(client);

        client.HandleTimeout(T0 + TimeSpan.FromMinutes(9));
        var rebinds = new[] { Expect(client, StunMethod.ChannelBind), Expect(client, StunMethod.ChannelBind) };
        Assert.Equal([(ushort)0x4000, (ushort)0x4001], rebinds.Select(r => r.ChannelNumber!.Value).Order());
    }

    [Fact]
    public void ChannelBindFailureReleasesTheBinding()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0);
        var channel = client.BindChannel(PeerA, T0);
        Deliver(client, server.Error(Expect(client, StunMethod.ChannelBind), StunErrorCode.BadRequest), T0);
        var failed = Assert.IsType<TurnChannelBindFailed>(Assert.Single(Events(client)));
        Assert.Equal(channel, failed.Channel);
        Assert.Null(client.GetChannel(PeerA));
        Assert.Equal(0x4001, client.BindChannel(PeerA, T0)); // a failed number is not reused at once
    }

    [Fact]
    public void DataGoesAsSendIndicationUntilTheChannelIsBoundThenAsChannelData()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0);
        Assert.False(client.Send(PeerA, [1, 2, 3])); // no permission yet (RFC 8656 §11.1)

        client.CreatePermission(T0, PeerA.Address);
        Deliver(client, server.Success(Expect(client, StunMethod.CreatePermission)), T0);
        Assert.True(client.Send(PeerA, [1, 2, 3]));
        var send = Expect(client, StunMethod.Send, StunClass.Indication);
        Assert.Equal(PeerA, send.XorPeerAddress);
        Assert.Equal(new byte[] { 1, 2, 3 }, send.Data!.Value.ToArray());
        Assert.False(send.HasMessageIntegrity); // indications are never authenticated (RFC 8656 §5)

        var channel = client.BindChannel(PeerA, T0);
        Deliver(client, server.Success(Expect(client, StunMethod.ChannelBind)), T0);
        Assert.True(client.Send(PeerA, [4, 5]));
        Assert.True(client.TryPollTransmit(out var t));
        Assert.Equal(TurnChannelData.Write(channel, [4, 5]), t.Payload);
    }

    [Fact]
    public void DataIndicationsAndChannelDataAreDelivered()
    {
        var server = new ScriptedTurnServer();
        var client = server.Allocated(T0);

        var data = new StunMessageWriter(StunMethod.Data, StunClass.Indication, StunTransactionId.NewRandom())
            .AddXorPeerAddress(PeerA).AddData([9, 9]).ToArray();
        Assert.False(client.HandleDatagram(ServerEndPoint, data, T0)); // no permission: discarded (RFC 8656 §11.4)

        client.CreatePermission(T0, PeerA.Address);
        Deliver(client, server.Success(Expect(client, StunMethod.CreatePermission)), T0);
        Events(client);
        Deliver(client, data, T0);
        Assert.Equal(PeerA, Assert.IsType<TurnDataReceived>(Assert.Single(Events(client))).Peer);

        var icmp = new StunMessageWriter(StunMethod.Data, StunClass.Indication, StunTransactionId.NewRandom())
            .AddXorPeerAddress(PeerA).AddIcmp(new StunIcmp(3, 3, 0)).ToArray();
        Deliver(client, icmp, T0);
        Assert.Equal(new StunIcmp(3, 3, 0), Assert.IsType<TurnIcmpReceived>(Assert.Single(Events(client))).Icmp);

        // ChannelData is accepted as soon as the ChannelBind is sent (RFC 8656 §12).
        var channel = client.BindChannel(PeerB, T0);
        Deliver(client, TurnChannelData.Write(channel, [7, 7, 7], pad: true), T0);
        var received = Assert.IsType<TurnDataReceived>(Assert.Single(Events(client)));
        Assert.Equal(PeerB, received.Peer);
        Assert.Equal(new byte[] { 7, 7, 7 }, received.Payload);
        Assert.Equal(channel, received.Channel);

        Assert.False(client.HandleDatagram(ServerEndPoint, TurnChannelData.Write(0x4ABC, [1]), T0)); // unbound channel
        Assert.False(client.HandleDatagram(PeerA, TurnChannelData.Write(channel, [1]), T0)); // not from the server
    }

    [Fact]
    public void PasswordAlgorithmsSelectSha256AndUserHash()
    {
        // RFC 8489 §9.2.5: echo PASSWORD-ALGORITHMS, pick the first supported, protect with MESSAGE-INTEGRITY-SHA256;
        // the username anonymity bit of the nonce cookie asks for USERHASH.
        var server = new ScriptedTurnServer
        {
            Nonce = StunNonceCookie.Create(StunSecurityFeatures.PasswordAlgorithms | StunSecurityFeatures.UsernameAnonymity) + "abc",
            Key = StunCredentials.LongTermKey(Username, Realm, Password, StunPasswordAlgorithm.Sha256),
        };
        var client = NewClient();
        client.Allocate(T0);
        var algorithms = new[] { new StunPasswordAlgorithmEntry(StunPasswordAlgorithm.Sha256), new StunPasswordAlgorithmEntry(StunPasswordAlgorithm.Md5) };
        Deliver(client, server.Challenge(Expect(client, StunMethod.Allocate), extra: w => w.AddPasswordAlgorithms(algorithms)), T0);

        var request = Expect(client, StunMethod.Allocate);
        Assert.Null(request.Username);
        Assert.Equal(StunCredentials.UserHash(Username, Realm), request.UserHash);
        Assert.Equal(algorithms, request.PasswordAlgorithms);
        Assert.Equal(new StunPasswordAlgorithmEntry(StunPasswordAlgorithm.Sha256), request.PasswordAlgorithm);
        Assert.False(request.HasMessageIntegrity);
        Assert.Equal(StunError.None, request.VerifyMessageIntegritySha256(server.Key));

        // A response protected only with MESSAGE-INTEGRITY is no longer enough.
        Deliver(client, server.AllocateSuccess(request), T0);
        Assert.Equal(TurnClientState.Allocating, client.State);
        Deliver(client, server.Success(request, w => w.AddXorRelayedAddress(Relayed).AddXorMappedAddress(Mapped).AddLifetime(600), sha256: true), T0);
        Assert.Equal(TurnClientState.Allocated, client.State);
    }

    [Fact]
    public void ACookieAnnouncingAlgorithmsWithoutTheAttributeIsABidDown()
    {
        var server = new ScriptedTurnServer { Nonce = StunNonceCookie.Create(StunSecurityFeatures.PasswordAlgorithms) + "xyz" };
        var client = NewClient();
        client.Allocate(T0);
        Deliver(client, server.Challenge(Expect(client, StunMethod.Allocate)), T0);
        ExpectNothing(client);
        Assert.Equal(TurnFailure.DowngradeDetected, Assert.IsType<TurnFailed>(Assert.Single(Events(client))).Reason);
    }

    [Fact]
    public void NoSupportedPasswordAlgorithmMeansNoRetry()
    {
        var server = new ScriptedTurnServer { Nonce = StunNonceCookie.Create(StunSecurityFeatures.PasswordAlgorithms) + "xyz" };
        var client = NewClient();
        client.Allocate(T0);
        Deliver(client, server.Challenge(Expect(client, StunMethod.Allocate),
            extra: w => w.AddPasswordAlgorithms([new StunPasswordAlgorithmEntry((StunPasswordAlgorithm)0x7777)])), T0);
        ExpectNothing(client);
        Assert.Equal(TurnFailure.UnsupportedPasswordAlgorithm, Assert.IsType<TurnFailed>(Assert.Single(Events(client))).Reason);
    }

    [Fact]
    public void ResponsesFromElsewhereAreIgnored()
    {
        var server = new ScriptedTurnServer();
        var client = NewClient();
        client.Allocate(T0);
        var request = Expect(client, StunMethod.Allocate);
        Assert.False(client.HandleDatagram(PeerA, server.Challenge(request), T0));
        Assert.False(client.HandleDatagram(ServerEndPoint, [0xC0, 1, 2, 3], T0));
        Assert.Equal(TurnClientState.Allocating, client.State);
    }

    [Fact]
    public void MisuseThrows()
    {
        var client = NewClient();
        Assert.Throws<InvalidOperationException>(() => client.CreatePermission(T0, PeerA.Address));
        Assert.Throws<InvalidOperationException>(() => client.BindChannel(PeerA, T0));
        client.Allocate(T0);
        Assert.Throws<InvalidOperationException>(() => client.Allocate(T0));
        Assert.Throws<ArgumentException>(() => new TurnClient(new TurnClientOptions
        {
            Server = ServerEndPoint, Username = "u", Password = "p", PermissionRefreshInterval = TimeSpan.FromMinutes(5),
        }));
    }
}
