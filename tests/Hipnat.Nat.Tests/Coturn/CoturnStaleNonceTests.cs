using System.Net;
using Hipnat.Nat.Stun;
using Hipnat.Nat.Turn;

namespace Hipnat.Nat.Tests.Coturn;

/// <summary>RFC 8489 §9.2.5 against coturn: after the nonce goes stale a request gets 438 and is retried with the new nonce.</summary>
public sealed class CoturnStaleNonceTests(StaleNonceCoturnFixture coturn) : IClassFixture<StaleNonceCoturnFixture>
{
    [Fact]
    public void RefreshAfterTheNonceWentStaleSucceedsOnRetry()
    {
        if (coturn.SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }

        using var client = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var turn = new TurnClient(new TurnClientOptions { Server = coturn.Server, Username = CoturnFixture.Username, Password = CoturnFixture.Password });
        var timeout = TimeSpan.FromSeconds(10);
        turn.Allocate(client.Now);
        Assert.IsType<TurnAllocated>(client.Run(turn, e => e is TurnAllocated or TurnFailed, timeout)[^1]);
        Assert.Equal(0, turn.StaleNonceRetries);

        Thread.Sleep(TimeSpan.FromSeconds(3));
        turn.Refresh(client.Now);
        var events = client.Run(turn, e => e is TurnRefreshed or TurnFailed, timeout);
        Assert.IsType<TurnRefreshed>(events[^1]);
        Assert.Equal(1, turn.StaleNonceRetries);
    }
}
