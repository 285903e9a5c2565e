using System.Net;
using Hipnat.Core.Ice;
using Hipnat.Core.Transport;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>Priorities (RFC 8445 §5.1.2, §6.1.2.3; RFC 8421) and the checklist rules of RFC 9028 §4.6.2.</summary>
public class IceCheckListTests
{
    private static TransportAddress U(string ip, ushort port = 10500) => TransportAddress.Udp(IPAddress.Parse(ip), port);

    private static IceCandidate C(string ip, CandidateKind type, ushort pref = 65535, string? baseIp = null) =>
        new(U(ip), U(baseIp ?? ip), type, IcePriority.Compute(type, pref));

    [Theory]
    [InlineData(CandidateKind.Host, 65535, 2130706431u)]
    [InlineData(CandidateKind.ServerReflexive, 65535, 1694498815u)]
    [InlineData(CandidateKind.PeerReflexive, 65535, 1862270975u)]
    [InlineData(CandidateKind.Relayed, 65535, 16777215u)]
    [InlineData(CandidateKind.Host, 0, 2113929471u)]
    public void CandidatePriorityFollowsTheRecommendedFormula(CandidateKind type, int localPref, uint expected) =>
        Assert.Equal(expected, IcePriority.Compute(type, (ushort)localPref));

    [Fact]
    public void PairPriorityFavoursTheControllingSideOnTies()
    {
        // 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0)
        Assert.Equal((100ul << 32) + 400ul + 1, IcePriority.Pair(200, 100));
        Assert.Equal((100ul << 32) + 400ul, IcePriority.Pair(100, 200));
    }

    [Fact]
    public void DualStackPreferencesIntermingleIPv4AfterTheIPv6HeadStart()
    {
        // RFC 8421 §4: two IPv4 and six IPv6 addresses: an IPv4 address comes after four IPv6 ones.
        var addrs = new[] { "2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4", "2001:db8::5", "2001:db8::6", "198.18.0.1", "198.18.0.2" }
            .Select(a => U(a)).ToList();
        var prefs = IcePriority.LocalPreferences(addrs);
        Assert.Equal(addrs.Count, prefs.Distinct().Count());
        var order = Enumerable.Range(0, addrs.Count).OrderByDescending(i => prefs[i]).Select(i => addrs[i].IsIPv4 ? '4' : '6').ToArray();
        Assert.Equal("66664664", new string(order));
        Assert.Equal(new ushort[] { 65535 }, IcePriority.LocalPreferences([U("198.18.0.1")]));
    }

    [Fact]
    public void ServerReflexiveLocalsAreNotPairedAndFamiliesDoNotMix()
    {
        var list = new IceCheckList(true, TimeSpan.FromMilliseconds(50), new IceOptions());
        list.AddLocal(C("198.18.1.10", CandidateKind.Host));
        list.AddLocal(C("203.0.113.10", CandidateKind.ServerReflexive, baseIp: "198.18.1.10"));
        list.AddLocal(C("2001:db8::10", CandidateKind.Host));
        list.AddRemote(C("203.0.113.20", CandidateKind.ServerReflexive));
        list.AddRemote(C("198.18.2.10", CandidateKind.Host));
        Assert.Equal(2, list.Pairs.Count);
        Assert.All(list.Pairs, p => Assert.Equal(U("198.18.1.10"), p.Local.Address));
        Assert.True(list.Pairs[0].Priority >= list.Pairs[1].Priority);
        Assert.Equal(CandidateKind.Host, list.Pairs[0].Remote.Type);
    }

    [Fact]
    public void ChecksArePacedRetransmittedAfterTheRtoAndFailAfterTheLastAttempt()
    {
        var list = new IceCheckList(true, TimeSpan.FromMilliseconds(50), new IceOptions { MaxCheckAttempts = 3 });
        list.AddLocal(C("198.18.1.10", CandidateKind.Host));
        list.AddRemote(C("203.0.113.20", CandidateKind.ServerReflexive));
        list.AddRemote(C("203.0.113.21", CandidateKind.ServerReflexive, 100));
        var t0 = TimeSpan.FromSeconds(10);
        var first = list.NextCheck(t0);
        Assert.NotNull(first);
        Assert.Null(list.NextCheck(t0 + TimeSpan.FromMilliseconds(49))); // paced by Ta
        var second = list.NextCheck(t0 + TimeSpan.FromMilliseconds(50));
        Assert.NotNull(second);
        Assert.NotSame(first, second);

        // RTO = MAX(1000 ms, Ta * (waiting + in progress)) = 1 s, doubling per attempt.
        Assert.Equal(TimeSpan.FromSeconds(1), list.Rto);
        Assert.Null(list.NextCheck(t0 + TimeSpan.FromMilliseconds(999)));
        Assert.Same(first, list.NextCheck(t0 + TimeSpan.FromSeconds(1)));
        Assert.Equal(2, first!.Attempts);
        Assert.Same(first, list.NextCheck(t0 + TimeSpan.FromSeconds(3)));
        var failed = new List<CandidatePair>();
        list.NextCheck(t0 + TimeSpan.FromSeconds(8), failed);
        Assert.Contains(first, failed);
        Assert.Equal(CandidatePairState.Failed, first.State);
    }

    [Fact]
    public void TheChecklistKeepsTheHundredBestPairs()
    {
        var list = new IceCheckList(true, TimeSpan.FromMilliseconds(50), new IceOptions { MaxPairs = 100, MaxRemoteCandidates = 200 });
        list.AddLocal(C("198.18.1.10", CandidateKind.Host));
        for (int i = 0; i < 150; i++)
        {
            list.AddRemote(new IceCandidate(U("203.0.113.20", (ushort)(2000 + i)), U("203.0.113.20", (ushort)(2000 + i)), CandidateKind.ServerReflexive, IcePriority.Compute(CandidateKind.ServerReflexive, (ushort)(i * 100))));
        }

        Assert.Equal(100, list.Pairs.Count);
        Assert.Equal(50, list.PairsPruned);
        Assert.All(list.Pairs, p => Assert.True(p.Remote.Address.Port >= 2050));
    }

    [Fact]
    public void ConcludingTheChecksLeavesNoPairInProgress()
    {
        var list = new IceCheckList(true, TimeSpan.FromMilliseconds(50), new IceOptions());
        list.AddLocal(C("198.18.1.10", CandidateKind.Host));
        list.AddRemote(C("198.18.2.10", CandidateKind.Host));
        list.AddRemote(C("203.0.113.20", CandidateKind.ServerReflexive));
        var first = list.NextCheck(TimeSpan.Zero)!;
        var second = list.NextCheck(TimeSpan.FromMilliseconds(50))!;
        list.Succeeded(second, TimeSpan.FromMilliseconds(100), null);
        list.StopChecks();
        Assert.Equal(CandidatePairState.Waiting, first.State);
        Assert.Equal(CandidatePairState.Succeeded, second.State);
        Assert.Null(list.NextCheck(TimeSpan.FromSeconds(10)));
        Assert.Equal(TimeSpan.MaxValue, list.NextDue);
        list.Resume();
        Assert.Same(first, list.NextCheck(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void ATriggeredCheckGoesBeforeWaitingPairs()
    {
        var list = new IceCheckList(false, TimeSpan.FromMilliseconds(50), new IceOptions());
        list.AddLocal(C("198.18.1.10", CandidateKind.Host));
        list.AddRemote(C("198.18.2.10", CandidateKind.Host));
        list.AddRemote(C("203.0.113.20", CandidateKind.PeerReflexive));
        var low = list.Pairs[^1];
        list.Trigger(low);
        Assert.Same(low, list.NextCheck(TimeSpan.Zero));
    }
}
