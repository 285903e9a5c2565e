using System.Net;
using System.Net.Sockets;
using Hipnat.Nat.Stun;
using Hipnat.Nat.Turn;

namespace Hipnat.Nat.Tests.Coturn;

/// <summary>The STUN and TURN clients, driven on real sockets by <see cref="StunUdpClient"/>, against coturn.</summary>
public sealed class CoturnTests(CoturnFixture coturn) : IClassFixture<CoturnFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private void SkipIfUnavailable()
    {
        if (coturn.SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    private TurnClient NewTurnClient(string password = CoturnFixture.Password) => new(new TurnClientOptions
    {
        Server = coturn.Server,
        Username = CoturnFixture.Username,
        Password = password,
    });

    [Fact]
    public void BindingReturnsTheServerReflexiveAddress()
    {
        SkipIfUnavailable();
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var result = client.Bind(coturn.Server, Timeout);
        Assert.True(result.Succeeded, $"{result}\n{coturn.Log}");
        Assert.Equal(client.LocalEndPoint, result.MappedAddress);
    }

    [Fact]
    public void TwoServersSeeTheSameMappingOnLoopback()
    {
        SkipIfUnavailable();
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var results = client.BindAll([coturn.Server, coturn.SecondServer], Timeout);
        Assert.All(results, r => Assert.True(r.Succeeded, $"{r}\n{coturn.Log}"));
        Assert.Equal(NatMappingBehavior.EndpointIndependent, StunMappingComparison.Classify(results));
        Assert.Equal(NatMappingBehavior.NoNat, StunMappingComparison.Classify(results, client.LocalEndPoint));
    }

    [Fact]
    public void RelaysDataBothWaysBySendIndicationAndChannelData()
    {
        SkipIfUnavailable();
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        peer.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        var peerEndPoint = (IPEndPoint)peer.LocalEndPoint!;
        var turn = NewTurnClient();

        // Allocate: 401 challenge, then the authenticated request.
        turn.Allocate(client.Now);
        var allocated = Assert.IsType<TurnAllocated>(RunUntil(client, turn, e => e is TurnAllocated or TurnFailed));
        Assert.Equal(IPAddress.Loopback, allocated.RelayedAddress.Address);
        Assert.InRange(allocated.RelayedAddress.Port, coturn.RelayPortRange.Min, coturn.RelayPortRange.Max);
        Assert.Equal(client.LocalEndPoint, allocated.MappedAddress); // server-reflexive address from the Allocate
        Assert.True(allocated.Lifetime > TimeSpan.Zero);
        Assert.Equal(CoturnFixture.Realm, turn.Realm);

        // CreatePermission, then a Send indication out and a Data indication back.
        turn.CreatePermission(client.Now, peerEndPoint.Address);
        Assert.IsType<TurnPermissionCreated>(RunUntil(client, turn, e => e is TurnPermissionCreated or TurnPermissionFailed or TurnFailed));
        Assert.True(turn.SendIndication(peerEndPoint, "via send indication"u8));
        client.Flush(turn);
        var (from, payload) = Receive(peer);
        Assert.Equal(allocated.RelayedAddress, from);
        Assert.Equal("via send indication"u8.ToArray(), payload);

        peer.SendTo("via data indication"u8, allocated.RelayedAddress);
        var data = Assert.IsType<TurnDataReceived>(RunUntil(client, turn, e => e is TurnDataReceived or TurnFailed));
        Assert.Equal(peerEndPoint, data.Peer);
        Assert.Null(data.Channel);
        Assert.Equal("via data indication"u8.ToArray(), data.Payload);

        // ChannelBind, then ChannelData both ways.
        ushort channel = turn.BindChannel(peerEndPoint, client.Now);
        var bound = Assert.IsType<TurnChannelBound>(RunUntil(client, turn, e => e is TurnChannelBound or TurnChannelBindFailed or TurnFailed));
        Assert.Equal(channel, bound.Channel);
        Assert.Equal(channel, turn.GetChannel(peerEndPoint));
        Assert.True(turn.Send(peerEndPoint, "via channel data"u8));
        client.Flush(turn);
        (from, payload) = Receive(peer);
        Assert.Equal(allocated.RelayedAddress, from);
        Assert.Equal("via channel data"u8.ToArray(), payload);

        peer.SendTo("back on the channel"u8, allocated.RelayedAddress);
        data = Assert.IsType<TurnDataReceived>(RunUntil(client, turn, e => e is TurnDataReceived or TurnFailed));
        Assert.Equal(channel, data.Channel);
        Assert.Equal(peerEndPoint, data.Peer);
        Assert.Equal("back on the channel"u8.ToArray(), data.Payload);

        // Refresh with a new lifetime, then delete the allocation.
        turn.Refresh(client.Now, TimeSpan.FromMinutes(15));
        var refreshed = Assert.IsType<TurnRefreshed>(RunUntil(client, turn, e => e is TurnRefreshed or TurnFailed));
        Assert.Equal(TimeSpan.FromMinutes(15), refreshed.Lifetime);
        turn.Deallocate(client.Now);
        Assert.IsType<TurnDeallocated>(RunUntil(client, turn, e => e is TurnDeallocated or TurnFailed));
        Assert.Equal(TurnClientState.Closed, turn.State);
    }

    [Fact]
    public void AWrongPasswordIsRejected()
    {
        SkipIfUnavailable();
        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var turn = NewTurnClient("not-the-password");
        turn.Allocate(client.Now);
        var failed = Assert.IsType<TurnFailed>(RunUntil(client, turn, e => e is TurnAllocated or TurnFailed));
        Assert.Equal(TurnFailure.Unauthenticated, failed.Reason);
        Assert.Equal(401, failed.Error!.Value.Code);
    }

    private TurnEvent RunUntil(StunUdpClient client, TurnClient turn, Func<TurnEvent, bool> until)
    {
        var events = client.Run(turn, until, Timeout);
        Assert.True(events.Count > 0 && until(events[^1]), $"nothing within {Timeout} (state {turn.State})\n{coturn.Log}");
        return events[^1];
    }

    private static (IPEndPoint From, byte[] Payload) Receive(Socket socket)
    {
        var buffer = new byte[2048];
        EndPoint remote = new IPEndPoint(IPAddress.Any, 0);
        int n = socket.ReceiveFrom(buffer, ref remote);
        return ((IPEndPoint)remote, buffer[..n]);
    }
}
