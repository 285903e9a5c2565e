using System.Collections.Concurrent;
using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Crypto;

namespace Hipnat.Fuzz;

/// <summary>
/// Two HIP hosts with the fixed identities, wired back to back in process with a clock the harness moves: A
/// initiates, B responds. Control packets move one at a time (<see cref="Pump"/>), optionally changed on the way.
/// </summary>
/// <remarks>
/// A new pair starts from the same state every time: fixed identities, seeded randomness, the clock at 1 s, and one
/// fixed Diffie-Hellman key pair per host and group, generated once per process (a fresh key pair per R1 generation
/// and per I2 is a large part of the cost of a base exchange; the host never disposes them).
/// </remarks>
public sealed class HipPair
{
    public static readonly TransportAddress AddressA = TransportAddress.Udp(IPAddress.Parse("192.0.2.1"), 10500);
    public static readonly TransportAddress AddressB = TransportAddress.Udp(IPAddress.Parse("192.0.2.2"), 10500);
    public static readonly TransportAddress Stranger = TransportAddress.Udp(IPAddress.Parse("198.51.100.9"), 40000);

    private static readonly ConcurrentDictionary<(int Seed, DhGroupId Group), DhKeyPair> DhKeys = new();

    public HipPair()
    {
        A = new HipHost(Options(FuzzIdentities.A, AddressA, 1));
        B = new HipHost(Options(FuzzIdentities.B, AddressB, 2));
        A.AddPeerLocator(B.LocalHit, AddressB);
    }

    public HipHost A { get; }

    public HipHost B { get; }

    public TimeSpan Now { get; private set; } = TimeSpan.FromSeconds(1);

    /// <summary>Every control datagram that moved, as sent (before a change), with its direction.</summary>
    public List<(bool FromA, byte[] Payload)> Sent { get; } = [];

    /// <summary>Delivers a datagram to A or B from <paramref name="from"/>.</summary>
    public void Deliver(bool toA, TransportAddress from, ReadOnlySpan<byte> payload)
    {
        var host = toA ? A : B;
        host.HandleDatagram(toA ? AddressA : AddressB, from, payload, Now);
        DrainEvents();
    }

    /// <summary>Moves the next datagram the sender queued to the other host; false when none was queued.</summary>
    public bool Pump(bool fromA, Func<byte[], byte[]>? change = null)
    {
        var sender = fromA ? A : B;
        if (!sender.TryPollTransmit(out var t))
        {
            return false;
        }

        byte[] payload;
        try
        {
            payload = t.Payload.ToArray();
        }
        finally
        {
            t.Release();
        }

        Sent.Add((fromA, payload));
        Deliver(!fromA, fromA ? AddressA : AddressB, change is null ? payload : change(payload));
        return true;
    }

    /// <summary>Moves datagrams both ways until none is queued (bounded).</summary>
    public void Settle()
    {
        for (int i = 0; i < 64; i++)
        {
            if (!(Pump(fromA: true) | Pump(fromA: false)))
            {
                return;
            }
        }
    }

    public void Advance(TimeSpan by)
    {
        Now += by;
        A.HandleTimeout(Now);
        B.HandleTimeout(Now);
        DrainEvents();
    }

    private void DrainEvents()
    {
        while (A.TryPollEvent(out _))
        {
        }

        while (B.TryPollEvent(out _))
        {
        }
    }

    private static HipHostOptions Options(Hipnat.Crypto.HostIdentity identity, TransportAddress locator, int seed) => new()
    {
        Identity = identity,
        LocalLocators = [locator],
        RandomSeed = seed,
        PuzzleDifficulty = 0,
        R2SentHold = TimeSpan.FromMilliseconds(100),
        DhKeySource = group => DhKeys.GetOrAdd((seed, group), static key => DhKeyPair.Generate(key.Group)),
    };
}
