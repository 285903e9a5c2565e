using System.Net;
using Hipnat.Core.Paths;
using Hipnat.Core.Transport;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>The owners of path state on their own: the peer's locator set (RFC 8046 §4, §5.3) and path liveness.</summary>
public class PathsTests
{
    private static readonly TransportAddress From = TransportAddress.Udp(IPAddress.Parse("203.0.113.9"), 10500);

    private static Locator Udp(string ip, ushort port, CandidateKind kind = CandidateKind.Host, uint lifetime = 600) =>
        Locator.ForTransportAddress(IPAddress.Parse(ip), port, kind, priority: 0, spi: 1, lifetime, preferred: false);

    private static LocatorSetParameter Set(params Locator[] l) => new(l);

    [Fact]
    public void AFullSetWithdrawsWhatItLeavesOutAndKeepsWhatIsProtected()
    {
        var s = new PeerLocatorSet();
        s.Apply(Set(Udp("198.18.1.10", 10500), Udp("203.0.113.11", 10500, CandidateKind.ServerReflexive)), fullSet: false, From);
        s.AddLocator(TransportAddress.Udp(IPAddress.Parse("203.0.113.10"), 10500)); // the relay
        var (added, withdrawn) = s.Apply(Set(Udp("198.18.3.10", 10500), Udp("203.0.113.13", 10500, CandidateKind.ServerReflexive)), fullSet: true, From,
            keep: l => l.Address.Equals(IPAddress.Parse("203.0.113.10")));

        Assert.Equal(2, added);
        Assert.Equal(2, withdrawn);
        Assert.Equal(["198.18.3.10:10500", "203.0.113.13:10500"], s.Candidates.Select(c => c.Address.ToString()));
        Assert.Contains(s.Locators, l => l.ToString() == "203.0.113.10:10500");
        Assert.DoesNotContain(s.Locators, l => l.ToString() == "198.18.1.10:10500");
        Assert.Equal(CandidateKind.ServerReflexive, s.Candidates[1].Type);
    }

    [Fact]
    public void AnAdditiveSetKeepsWhatWasKnownAndLifetimeZeroWithdrawsNothingButIsNotAdded()
    {
        var s = new PeerLocatorSet();
        s.Apply(Set(Udp("198.18.1.10", 10500)), fullSet: false, From);
        s.Apply(Set(Udp("198.18.1.11", 10500), Udp("198.18.1.12", 10500, lifetime: 0)), fullSet: false, From);
        Assert.Equal(2, s.Candidates.Count);
        Assert.DoesNotContain(s.Candidates, c => c.Address.ToString() == "198.18.1.12:10500");
    }

    [Fact]
    public void EspFormatLocatorsAreReachedOnThePortTheyCameFromAndOnlyUdpTransportLocatorsWithAPortCount()
    {
        var s = new PeerLocatorSet();
        s.Apply(Set(
            Locator.ForEspAddress(7, IPAddress.Parse("198.18.5.5"), 600, preferred: true),
            Locator.ForTransportAddress(IPAddress.Parse("198.18.5.6"), 0, CandidateKind.Host, 0, 7, 600, preferred: false)), fullSet: false, From);
        Assert.Equal(["198.18.5.5:10500"], s.Locators.Select(l => l.ToString()));
    }

    [Fact]
    public void TheCapBoundsWhatIsKeptAndCountsTheRest()
    {
        var s = new PeerLocatorSet(cap: 16);
        var many = Enumerable.Range(1, 41).Select(i => Udp($"198.18.7.{i}", 10500)).ToArray();
        s.Apply(Set(many), fullSet: true, From);
        Assert.Equal(16, s.Candidates.Count);
        Assert.Equal(16, s.Locators.Count);
        Assert.Equal(25, s.LastDropped);
    }

    [Fact]
    public void RandomSequencesOfSetsNeverExceedTheCapAndAFullSetIsExactlyWhatItAnnounced()
    {
        var rng = new Random(7);
        var s = new PeerLocatorSet(cap: 8);
        for (int round = 0; round < 500; round++)
        {
            int n = rng.Next(0, 12);
            var locs = Enumerable.Range(0, n).Select(_ => Udp($"198.18.9.{rng.Next(1, 20)}", (ushort)rng.Next(1, 4), lifetime: (uint)rng.Next(0, 3))).ToArray();
            bool full = rng.Next(2) == 0;
            s.Apply(Set(locs), full, From);
            Assert.True(s.Candidates.Count <= 8 && s.Locators.Count <= 8);
            Assert.Equal(s.Candidates.Count, s.Candidates.Select(c => c.Address).Distinct().Count());
            if (full)
            {
                var announced = locs.Where(l => l.Lifetime != 0).Select(l => TransportAddress.Udp(l.Address, l.Port)).Distinct().Take(8).ToHashSet();
                Assert.True(s.Candidates.All(c => announced.Contains(c.Address)), $"round {round}");
                Assert.Equal(announced.Count, s.Candidates.Count);
            }
        }
    }

    [Fact]
    public void LivenessSuspectsOnlyAPathThatCarriedTrafficAndNotAgainWithinFourWindows()
    {
        var w = TimeSpan.FromMilliseconds(400);
        var horizon = TimeSpan.FromSeconds(30);
        var l = new PathLiveness();
        var t = TimeSpan.FromSeconds(10);
        l.Reset(t);
        for (int i = 1; i <= 20; i++)
        {
            l.NoteSent(t + TimeSpan.FromMilliseconds(50 * i));
            l.NoteHeard(t + TimeSpan.FromMilliseconds(50 * i));
        }

        var last = t + TimeSpan.FromSeconds(1);
        Assert.Equal(PathVerdict.Wait, l.Judge(last + TimeSpan.FromMilliseconds(300), w, horizon));
        l.NoteSent(last + TimeSpan.FromMilliseconds(50)); // unanswered from here
        Assert.Equal(PathVerdict.Wait, l.Judge(last + TimeSpan.FromMilliseconds(300), w, horizon));
        Assert.Equal(PathVerdict.Suspect, l.Judge(last + TimeSpan.FromMilliseconds(460), w, horizon));
        l.Suspect(last + TimeSpan.FromMilliseconds(460));
        Assert.Equal(PathVerdict.Wait, l.Judge(last + TimeSpan.FromMilliseconds(1500), w, horizon));
        Assert.Equal(PathVerdict.Suspect, l.Judge(last + TimeSpan.FromMilliseconds(2100), w, horizon));
        l.NoteHeard(last + TimeSpan.FromMilliseconds(2200));
        Assert.Null(l.SuspectedAt);

        // Heard once, then nothing sent and nothing more arriving: idle, left to keepalives.
        var idle = new PathLiveness();
        idle.NoteHeard(TimeSpan.FromSeconds(1));
        Assert.Equal(PathVerdict.Idle, idle.Judge(TimeSpan.FromSeconds(3), w, horizon));
        Assert.Equal(PathVerdict.Idle, l.Judge(last + TimeSpan.FromMinutes(5), w, horizon));
    }

    [Fact]
    public void ReturnRoutabilityRetransmitsOnScheduleExpiresAndOnlyTheRightAnswerFromTheProbedAddressVerifies()
    {
        var rr = new ReturnRoutability();
        var local = TransportAddress.Udp(IPAddress.Parse("198.18.1.10"), 10500);
        var peer = TransportAddress.Udp(IPAddress.Parse("203.0.113.20"), 10500);
        var t0 = TimeSpan.FromSeconds(5);
        var probe = new Hipnat.Core.Association.PathProbe(local, peer, updateId: 7, nonce: [1, 2, 3, 4]) { Interval = TimeSpan.FromMilliseconds(100), NextAt = t0, MaxAttempts = 6 };
        rr.Add(probe);
        Assert.True(rr.IsProbing(peer));

        var sendTimes = new List<TimeSpan>();
        var expired = new List<Hipnat.Core.Association.PathProbe>();
        var now = t0;
        while (rr.Count > 0 && now < t0 + TimeSpan.FromSeconds(60))
        {
            var send = new List<Hipnat.Core.Association.PathProbe>();
            rr.TakeDue(now, send, expired);
            if (send.Count > 0)
            {
                sendTimes.Add(now - t0);
            }

            now = rr.NextDue == TimeSpan.MaxValue ? now : rr.NextDue;
        }

        // 100, 100, 100 ms apart, then doubling: 0, 100, 200, 300, 500, 900 ms; then expired.
        Assert.Equal([0, 100, 200, 300, 500, 900], sendTimes.Select(x => (int)x.TotalMilliseconds));
        Assert.Single(expired);

        rr.Add(new Hipnat.Core.Association.PathProbe(local, peer, updateId: 9, nonce: [9, 9, 9, 9]) { Interval = TimeSpan.FromMilliseconds(100), NextAt = now });
        var elsewhere = TransportAddress.Udp(IPAddress.Parse("203.0.113.99"), 10500);
        Assert.Null(rr.Answered(elsewhere, null, [9], [9, 9, 9, 9]));  // from another address
        Assert.Null(rr.Answered(peer, null, [8], [9, 9, 9, 9]));       // another SEQ
        Assert.Null(rr.Answered(peer, null, [9], [9, 9, 9, 8]));       // wrong nonce
        Assert.NotNull(rr.Answered(peer, null, [9], [9, 9, 9, 9]));

        // Through our data relay (RFC 9028 §4.12): the answer comes from the relay, relayed from the probed address.
        var relay = TransportAddress.Udp(IPAddress.Parse("203.0.113.1"), 10500);
        rr.Add(new Hipnat.Core.Association.PathProbe(local, relay, updateId: 10, nonce: [7, 7, 7, 7]) { Interval = TimeSpan.FromMilliseconds(100), NextAt = now, RelayedTo = peer, ViaDataRelay = true });
        Assert.Null(rr.Answered(relay, elsewhere, [10], [7, 7, 7, 7])); // relayed from another address of the peer
        Assert.Null(rr.Answered(relay, null, [10], [7, 7, 7, 7]));      // not relayed
        Assert.NotNull(rr.Answered(relay, peer, [10], [7, 7, 7, 7]));
        Assert.NotNull(rr.For(local, relay, Hipnat.Core.Association.PathProbePurpose.Verify, peer));
        Assert.Null(rr.For(local, relay, Hipnat.Core.Association.PathProbePurpose.Verify));
    }
}
