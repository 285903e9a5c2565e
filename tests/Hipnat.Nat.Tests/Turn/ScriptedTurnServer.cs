using System.Net;
using Hipnat.Nat.Stun;
using Hipnat.Nat.Turn;

namespace Hipnat.Nat.Tests.Turn;

/// <summary>
/// A TURN server written out by hand for tests: the test reads each request the client sends and decides the
/// answer, built with the codec and signed with the long-term key of test:secret in realm hipnat.test.
/// </summary>
internal sealed class ScriptedTurnServer
{
    public const string Username = "test";
    public const string Password = "secret";
    public const string Realm = "hipnat.test";

    public static readonly IPEndPoint ServerEndPoint = new(IPAddress.Parse("198.51.100.50"), 3478);
    public static readonly IPEndPoint Relayed = new(IPAddress.Parse("198.51.100.50"), 49152);
    public static readonly IPEndPoint Mapped = new(IPAddress.Parse("192.0.2.33"), 40404);

    public byte[] Key { get; set; } = StunCredentials.LongTermKey(Username, Realm, Password);

    public string Nonce { get; set; } = "nonce-one";

    public static TurnClient NewClient(TimeSpan? lifetime = null) => new(new TurnClientOptions
    {
        Server = ServerEndPoint,
        Username = Username,
        Password = Password,
        RequestedLifetime = lifetime,
    });

    /// <summary>The one datagram the client queued, parsed; asserts its method and class.</summary>
    public static StunMessage Expect(TurnClient client, StunMethod method, StunClass cls = StunClass.Request)
    {
        Assert.True(client.TryPollTransmit(out var transmit), $"expected a {method} {cls}");
        Assert.Equal(ServerEndPoint, transmit.Destination);
        Assert.Equal(StunError.None, StunMessage.TryParse(transmit.Payload, out var message));
        Assert.Equal(method, message!.Method);
        Assert.Equal(cls, message.Class);
        return message;
    }

    public static void ExpectNothing(TurnClient client) => Assert.False(client.TryPollTransmit(out _), "no datagram expected");

    public byte[] Challenge(StunMessage request, int code = StunErrorCode.Unauthenticated, Action<StunMessageWriter>? extra = null)
    {
        var w = StunMessageWriter.ResponseTo(request, StunClass.ErrorResponse).AddErrorCode(code).AddRealm(Realm).AddNonce(Nonce);
        extra?.Invoke(w);
        return w.AddFingerprint().ToArray();
    }

    public byte[] Success(StunMessage request, Action<StunMessageWriter>? attributes = null, bool sha256 = false)
    {
        var w = StunMessageWriter.ResponseTo(request, StunClass.SuccessResponse);
        attributes?.Invoke(w);
        if (sha256)
        {
            w.AddMessageIntegritySha256(Key);
        }
        else
        {
            w.AddMessageIntegrity(Key);
        }

        return w.AddFingerprint().ToArray();
    }

    public byte[] Error(StunMessage request, int code, Action<StunMessageWriter>? attributes = null)
    {
        var w = StunMessageWriter.ResponseTo(request, StunClass.ErrorResponse).AddErrorCode(code);
        attributes?.Invoke(w);
        return w.AddMessageIntegrity(Key).AddFingerprint().ToArray();
    }

    public byte[] AllocateSuccess(StunMessage request, uint lifetime = 600) => Success(request, w => w
        .AddXorRelayedAddress(Relayed).AddXorMappedAddress(Mapped).AddLifetime(lifetime));

    /// <summary>Asserts the request carries the long-term credentials and verifies with the key.</summary>
    public void AssertAuthenticated(StunMessage request)
    {
        Assert.Equal(Username, request.Username);
        Assert.Equal(Realm, request.Realm);
        Assert.Equal(Nonce, request.Nonce);
        Assert.Equal(StunError.None, request.VerifyIntegrity(Key));
    }

    public static void Deliver(TurnClient client, byte[] datagram, TimeSpan now) =>
        Assert.True(client.HandleDatagram(ServerEndPoint, datagram, now), "the client did not take the datagram");

    /// <summary>Runs Allocate through the 401 challenge to an allocation at <paramref name="now"/>.</summary>
    public TurnClient Allocated(TimeSpan now, uint lifetime = 600)
    {
        var client = NewClient();
        client.Allocate(now);
        var first = Expect(client, StunMethod.Allocate);
        Deliver(client, Challenge(first), now);
        var second = Expect(client, StunMethod.Allocate);
        Deliver(client, AllocateSuccess(second, lifetime), now);
        Assert.Equal(TurnClientState.Allocated, client.State);
        Assert.True(client.TryPollEvent(out var e));
        Assert.IsType<TurnAllocated>(e);
        return client;
    }

    public static List<TurnEvent> Events(TurnClient client)
    {
        var list = new List<TurnEvent>();
        while (client.TryPollEvent(out var e))
        {
            list.Add(e);
        }

        return list;
    }
}
