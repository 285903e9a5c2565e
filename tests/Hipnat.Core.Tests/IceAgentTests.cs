using System.Net;
using Hipnat.Core.Ice;
using Hipnat.Core.Transport;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Tests;

/// <summary>The ICE agent on its own (RFC 9028 §4.6, §4.9; RFC 8445; draft-melen-hip-nat-mm): driven with timer
/// calls and check answers, no host, no simulator.</summary>
public class IceAgentTests
{
    private static readonly TimeSpan Ta = TimeSpan.FromMilliseconds(50);

    private static readonly IceCandidate LocalHost = C("198.18.1.10", CandidateKind.Host);
    private static readonly IceCandidate LocalRelayed = C("192.0.2.50", CandidateKind.Relayed);
    private static readonly IceCandidate RemoteHost = C("198.18.2.10", CandidateKind.Host);
    private static readonly IceCandidate RemoteReflexive = C("203.0.113.20", CandidateKind.ServerReflexive);

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static TransportAddress U(string ip, ushort port = 10500) => TransportAddress.Udp(IPAddress.Parse(ip), port);

    private static IceCandidate C(string ip, CandidateKind type) => new(U(ip), U(ip), type, IcePriority.Compute(type, 65535));

    private static (IceAgent Agent, FakeTransport Wire) Create(bool controlling, IceOptions? options = null, NatTraversalMode mode = NatTraversalMode.IceHipUdp, IceCandidate[]? local = null, IceCandidate[]? remote = null)
    {
        var wire = new FakeTransport();
        var agent = new IceAgent(mode, controlling, Ta, options ?? new IceOptions(), wire, TimeSpan.Zero);
        wire.Agent = agent;
        foreach (var c in local ?? [LocalHost])
        {
            agent.AddLocal(c);
        }

        foreach (var c in remote ?? [RemoteHost, RemoteReflexive])
        {
            agent.AddRemote(c);
        }

        return (agent, wire);
    }

    private static CandidatePair Pair(IceAgent agent, IceCandidate local, IceCandidate remote) => agent.CheckList.Find(local.Address, remote.Address)!;

    /// <summary>The peer answers the pair's latest check (what HipHost does with a verified ACK or STUN answer).</summary>
    private static void Answer(IceAgent agent, CandidatePair pair, TimeSpan now)
    {
        agent.CheckAnswered(pair.TransactionId, now, null);
        agent.MaybeNominate(now);
    }

    /// <summary>Runs the agent's timer at each time it asks for, up to <paramref name="until"/>.</summary>
    private static TimeSpan RunUntil(IceAgent agent, TimeSpan from, TimeSpan until)
    {
        var now = from;
        for (int guard = 0; guard < 10_000; guard++)
        {
            var due = agent.NextDue(now);
            if (due > until)
            {
                return until;
            }

            now = due > now ? due : now;
            agent.OnTimer(now);
        }

        throw new InvalidOperationException("the agent's timer does not settle");
    }

    [Fact]
    public void AChecklistHeldForTheSignedEchoSendsNothingUntilReleased()
    {
        // RFC 9028 §4.9: the correspondent's restarted checklist waits for step 6.
        var (agent, wire) = Create(controlling: false);
        agent.Hold();
        Assert.Equal(TimeSpan.MaxValue, agent.NextDue(TimeSpan.Zero));
        RunUntil(agent, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        agent.OnTimer(TimeSpan.FromSeconds(10));
        Assert.Empty(wire.Sent);
        Assert.False(agent.Failed);

        Assert.True(agent.Release());
        Assert.False(agent.Release());
        agent.OnTimer(TimeSpan.FromSeconds(10));
        Assert.Single(wire.Sent);
        Assert.Equal(TimeSpan.FromSeconds(10) + Ta, agent.NextDue(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void ChecksArePacedByTaAndRetransmittedAfterRto()
    {
        var (agent, wire) = Create(controlling: false);
        var high = Pair(agent, LocalHost, RemoteHost);
        var low = Pair(agent, LocalHost, RemoteReflexive);

        agent.OnTimer(TimeSpan.Zero);
        agent.OnTimer(Ms(49));
        Assert.Equal([(high, false, true, TimeSpan.Zero)], wire.Sent);

        agent.OnTimer(Ms(50)); // RFC 9028 §4.6.2: one new check every Ta
        Assert.Equal((low, false, true, Ms(50)), wire.Sent[^1]);

        // RTO = MAX(1000 ms, Ta * active pairs): the first pair is checked again at 1 s, in the same transaction.
        Assert.Equal(TimeSpan.FromSeconds(1), agent.NextDue(Ms(50)));
        agent.OnTimer(Ms(999));
        Assert.Equal(2, wire.Sent.Count);
        agent.OnTimer(TimeSpan.FromSeconds(1));
        Assert.Equal((high, false, false, TimeSpan.FromSeconds(1)), wire.Sent[^1]);
        Assert.Single(agent.Transactions, t => ReferenceEquals(t.Value.Pair, high));
    }

    [Fact]
    public void ControllingSideNominatesTheBestDirectPairOnceNoBetterPairIsPending()
    {
        var (agent, wire) = Create(controlling: true);
        var high = Pair(agent, LocalHost, RemoteHost);
        agent.OnTimer(TimeSpan.Zero);
        agent.OnTimer(Ms(50));

        Answer(agent, high, Ms(60));
        Assert.Equal((high, true, true, Ms(60)), wire.Sent[^1]);
        Assert.Same(high, agent.Nominating);
        Assert.True(agent.CheckList.BackupsOnly); // only other direct pairs are still checked: hot-backup candidates
        Assert.Null(agent.Selected);

        Answer(agent, high, Ms(70));
        Assert.Same(high, agent.Selected);
        Assert.True(high.Nominated);
        Assert.True(agent.Concluded);
        Assert.Equal([high], wire.Concluded);
        Assert.StartsWith("nominated", agent.SelectedReason, StringComparison.Ordinal);
    }

    [Fact]
    public void AfterADirectNominationOnlyOtherDirectPairsAreCheckedOrNoneWithoutBackups()
    {
        // Hot backup (draft §3.2.1): the other direct pair is still checked, the relayed one rests; with
        // CheckBackups off the checks stop at the nomination (RFC 9028 §4.6.2).
        foreach (bool backups in new[] { true, false })
        {
            var (agent, wire) = Create(controlling: true, new IceOptions { CheckBackups = backups },
                remote: [RemoteHost, RemoteReflexive, C("192.0.2.60", CandidateKind.Relayed)]);
            var high = Pair(agent, LocalHost, RemoteHost);
            agent.OnTimer(TimeSpan.Zero);
            Answer(agent, high, Ms(10));
            Assert.Same(high, agent.Nominating);
            RunUntil(agent, Ms(10), TimeSpan.FromSeconds(30));
            var other = Pair(agent, LocalHost, RemoteReflexive);
            var relayed = agent.CheckList.Pairs.Single(p => p.IsRelayed);
            Assert.Equal(backups, wire.Sent.Any(s => ReferenceEquals(s.Pair, other)));
            Assert.DoesNotContain(wire.Sent, s => ReferenceEquals(s.Pair, relayed));
        }
    }

    [Fact]
    public void AfterTheSelectionAnUncheckedUplinkIsCheckedInRoundsUntilItWorks()
    {
        // IceAgent.Backups: a host with two addresses checks the pair from its other address in rounds 250 ms apart
        // (12 at most) after the selection, so that uplink has a verified pair before the selected one fails
        // (draft §3.2.1) or gets an SA pair of its own (RFC 8047 §4.2.4). A pair whose two ends both have a working
        // pair is not checked again; an answer ends the rounds; without CheckBackups nothing is sent after the
        // selection.
        var local2 = C("198.18.3.10", CandidateKind.Host);
        foreach (bool answer in new[] { false, true })
        {
            foreach (bool backups in answer ? new[] { true } : new[] { true, false })
            {
                var (agent, wire) = Create(controlling: true, new IceOptions { CheckBackups = backups }, local: [LocalHost, local2], remote: [RemoteHost]);
                var first = Pair(agent, LocalHost, RemoteHost);
                var second = Pair(agent, local2, RemoteHost);
                second.State = CandidatePairState.Failed; // (its first checks were lost: behind a filter that was not open yet)
                agent.OnTimer(TimeSpan.Zero);
                Answer(agent, first, Ms(10));
                Answer(agent, first, Ms(20));
                Assert.Same(first, agent.Selected);
                int before = wire.Sent.Count;
                if (answer && backups)
                {
                    RunUntil(agent, Ms(20), Ms(800));
                    var check = wire.Sent.Last(x => ReferenceEquals(x.Pair, second));
                    agent.CheckAnswered(second.TransactionId, Ms(810), null);
                    Assert.Equal(CandidatePairState.Succeeded, second.State);
                    Assert.True(check.At > Ms(20));
                    int afterAnswer = wire.Sent.Count;
                    RunUntil(agent, Ms(810), TimeSpan.FromSeconds(30));
                    Assert.Equal(afterAnswer, wire.Sent.Count); // both ends work: the rounds end
                    continue;
                }

                RunUntil(agent, Ms(20), TimeSpan.FromSeconds(30));
                var rounds = wire.Sent.Skip(before).Where(x => ReferenceEquals(x.Pair, second)).Select(x => x.At).ToList();
                Assert.DoesNotContain(wire.Sent.Skip(before), x => ReferenceEquals(x.Pair, first) && !x.Nominate);
                if (!backups)
                {
                    Assert.Empty(rounds);
                    continue;
                }

                Assert.Equal(IceAgent.BackupRounds, rounds.Count);
                Assert.All(rounds.Zip(rounds.Skip(1)), r => Assert.Equal(IceAgent.BackupRoundInterval, r.Second - r.First));
                Assert.Equal(Ms(20) + IceAgent.BackupRoundInterval, rounds[0]);
            }
        }
    }

    [Fact]
    public void AWorseDirectPairIsNominatedAfterTheNominationWaitWhileABetterOneIsPending()
    {
        var (agent, wire) = Create(controlling: true);
        var low = Pair(agent, LocalHost, RemoteReflexive);
        agent.OnTimer(TimeSpan.Zero);
        agent.OnTimer(Ms(50));

        Answer(agent, low, Ms(60));
        Assert.DoesNotContain(wire.Sent, s => s.Nominate);
        Assert.Equal(Ms(210), agent.NextDue(Ms(60))); // NominationWait 150 ms after it worked

        agent.OnTimer(Ms(209));
        Assert.DoesNotContain(wire.Sent, s => s.Nominate);
        agent.OnTimer(Ms(210));
        Assert.Equal((low, true, true, Ms(210)), wire.Sent[^1]);
    }

    [Fact]
    public void ARelayedPairIsNominatedOnlyAfterTheRelayFallbackDelay()
    {
        var (agent, wire) = Create(controlling: true, local: [LocalHost, LocalRelayed], remote: [RemoteHost]);
        var relayed = Pair(agent, LocalRelayed, RemoteHost);
        agent.OnTimer(TimeSpan.Zero);
        agent.OnTimer(Ms(50));
        Assert.Equal(relayed, wire.Sent[^1].Pair);

        Answer(agent, relayed, Ms(100));
        RunUntil(agent, Ms(100), Ms(1999));
        Assert.DoesNotContain(wire.Sent, s => s.Nominate); // the direct pair is still being checked

        RunUntil(agent, Ms(1999), TimeSpan.FromSeconds(2));
        Assert.Equal((relayed, true, true, TimeSpan.FromSeconds(2)), wire.Sent[^1]);
    }

    [Fact]
    public void ARelayedPairIsNominatedAtOnceWhenEveryDirectPairFailed()
    {
        var options = new IceOptions { MaxCheckAttempts = 2, RelayFallbackDelay = TimeSpan.FromHours(1) };
        var (agent, wire) = Create(controlling: true, options, local: [LocalHost, LocalRelayed], remote: [RemoteHost]);
        var direct = Pair(agent, LocalHost, RemoteHost);
        var relayed = Pair(agent, LocalRelayed, RemoteHost);
        agent.OnTimer(TimeSpan.Zero);
        agent.OnTimer(Ms(50));
        Answer(agent, relayed, Ms(100));

        // Two transmissions of the direct check (0 s, 1 s), failed when the second one's RTO (2 s) ran out.
        RunUntil(agent, Ms(100), Ms(2999));
        Assert.DoesNotContain(wire.Sent, s => s.Nominate);
        RunUntil(agent, Ms(2999), TimeSpan.FromSeconds(3));
        Assert.Equal(CandidatePairState.Failed, direct.State);
        Assert.Equal((relayed, true, true, TimeSpan.FromSeconds(3)), wire.Sent[^1]);
    }

    [Fact]
    public void AfterARestartTheFirstWorkingDirectPairIsSelectedAtOnceWhileChecksContinue()
    {
        var (agent, wire) = Create(controlling: true, local: [LocalHost, LocalRelayed]);
        agent.MarkRestart(previousWasRelayed: false);
        var high = Pair(agent, LocalHost, RemoteHost);
        var low = Pair(agent, LocalHost, RemoteReflexive);
        var relayed = Pair(agent, LocalRelayed, RemoteHost);
        RunUntil(agent, TimeSpan.Zero, Ms(200));

        Answer(agent, relayed, Ms(210));
        Assert.Null(agent.Selected); // not relayed before the move: a relayed pair waits as usual

        Answer(agent, low, Ms(220));
        Assert.Same(low, agent.Selected);
        Assert.Equal("first working direct pair after a handover", agent.SelectedReason);
        Assert.DoesNotContain(wire.Sent, s => s.Nominate);

        // RFC 9028 §4.9, draft §3.2: the nomination follows, but the other pairs are still checked (backups).
        RunUntil(agent, Ms(220), Ms(370));
        Assert.Equal((low, true, true, Ms(370)), wire.Sent[^1]);
        Assert.False(agent.CheckList.Completed);
        int before = wire.Sent.Count;
        RunUntil(agent, Ms(370), TimeSpan.FromSeconds(1));
        Assert.Contains(wire.Sent.Skip(before), s => ReferenceEquals(s.Pair, high) && !s.Nominate);
    }

    [Fact]
    public void WithoutARestartTheFirstWorkingPairWaitsForTheNomination()
    {
        var (agent, _) = Create(controlling: false);
        RunUntil(agent, TimeSpan.Zero, Ms(100));
        Answer(agent, Pair(agent, LocalHost, RemoteReflexive), Ms(110));
        Assert.Null(agent.Selected);
    }

    [Fact]
    public void AfterARestartFromARelayTheFirstWorkingRelayedPairIsSelectedAtOnce()
    {
        var (agent, _) = Create(controlling: false, local: [LocalHost, LocalRelayed], remote: [RemoteHost]);
        agent.MarkRestart(previousWasRelayed: true);
        RunUntil(agent, TimeSpan.Zero, Ms(100));
        var relayed = Pair(agent, LocalRelayed, RemoteHost);
        Answer(agent, relayed, Ms(110));
        Assert.Same(relayed, agent.Selected);
    }

    [Fact]
    public void AnUnansweredNominationIsRepeatedAndGivenUpAfterMaxCheckAttempts()
    {
        var (agent, wire) = Create(controlling: true, remote: [RemoteHost]);
        var pair = Pair(agent, LocalHost, RemoteHost);
        agent.OnTimer(TimeSpan.Zero);
        Answer(agent, pair, Ms(10));
        Assert.Same(pair, agent.Nominating);

        RunUntil(agent, Ms(10), TimeSpan.FromMinutes(2));
        var nominations = wire.Sent.Where(s => s.Nominate).ToList();
        Assert.Equal(new IceOptions().MaxCheckAttempts, nominations.Count);
        Assert.Single(nominations, s => s.Fresh); // one transaction, repeated
        Assert.Equal([Ms(10), Ms(1010), Ms(3010), Ms(7010), Ms(15010)], nominations.Select(s => s.At));
        Assert.Null(agent.Nominating);
        Assert.Equal(CandidatePairState.Failed, pair.State);
        Assert.Null(agent.Selected);
    }

    [Fact]
    public void EveryPairFailedIsReportedOnceAndNewPairsReopenTheChecks()
    {
        var (agent, wire) = Create(controlling: false, new IceOptions { MaxCheckAttempts = 2 });
        RunUntil(agent, TimeSpan.Zero, TimeSpan.FromSeconds(2.9));
        Assert.Equal(0, wire.ChecksFailed);

        RunUntil(agent, TimeSpan.FromSeconds(2.9), TimeSpan.FromMinutes(5));
        Assert.True(agent.CheckList.AllFailed);
        Assert.True(agent.Failed);
        agent.OnTimer(TimeSpan.FromMinutes(5));
        Assert.Equal(1, wire.ChecksFailed);
        Assert.Equal(TimeSpan.MaxValue, agent.NextDue(TimeSpan.FromMinutes(5)));

        agent.AddRemote(C("198.18.2.11", CandidateKind.Host));
        Assert.False(agent.Failed);
        Assert.True(agent.NextDue(TimeSpan.FromMinutes(5)) <= TimeSpan.FromMinutes(5)); // the new pair is due now
    }

    [Fact]
    public void FailedDirectPairsAreRetriedWithDoublingBackoffCappedAtTheMaximum()
    {
        var options = new IceOptions { MaxCheckAttempts = 2, DirectRetryInitial = TimeSpan.FromSeconds(35), DirectRetryMax = TimeSpan.FromSeconds(80) };
        var (agent, wire) = Create(controlling: true, options, local: [LocalHost, LocalRelayed], remote: [RemoteHost]);
        var direct = Pair(agent, LocalHost, RemoteHost);
        var relayed = Pair(agent, LocalRelayed, RemoteHost);
        agent.OnTimer(TimeSpan.Zero);
        agent.OnTimer(Ms(50));
        Answer(agent, relayed, Ms(100));
        RunUntil(agent, Ms(100), TimeSpan.FromSeconds(3)); // the direct pair fails at 3 s: the relayed one is nominated
        Answer(agent, relayed, TimeSpan.FromSeconds(3.01));
        Assert.Same(relayed, agent.Selected);

        // Counted from the last direct check (1 s): 36 s.
        agent.OnTimer(TimeSpan.FromSeconds(3.01));
        Assert.Equal(TimeSpan.FromSeconds(36), agent.DirectRetryAt);
        RunUntil(agent, TimeSpan.FromSeconds(3.01), TimeSpan.FromSeconds(36));
        Assert.Equal(1, agent.DirectRetries);
        Assert.Equal(1, wire.DirectRetries);
        Assert.Equal((direct, false, TimeSpan.FromSeconds(36)), (wire.Sent[^1].Pair, wire.Sent[^1].Nominate, wire.Sent[^1].At));

        // Failed again (36 s, 37 s, 39 s); the interval doubled to 70 s from the last check (37 s), and it is the
        // controlled side's turn: we wait 2 s for its checks before ours.
        RunUntil(agent, TimeSpan.FromSeconds(36), TimeSpan.FromSeconds(106));
        Assert.Equal(TimeSpan.FromSeconds(107), agent.DirectRetryAt);
        RunUntil(agent, TimeSpan.FromSeconds(106), TimeSpan.FromSeconds(108.9));
        Assert.Equal(1, agent.DirectRetries);
        Assert.Equal(TimeSpan.FromSeconds(109), agent.DirectRetryAt);
        RunUntil(agent, TimeSpan.FromSeconds(108.9), TimeSpan.FromSeconds(109));
        Assert.Equal(2, agent.DirectRetries);
        Assert.Equal((direct, false, TimeSpan.FromSeconds(109)), (wire.Sent[^1].Pair, wire.Sent[^1].Nominate, wire.Sent[^1].At));

        // Capped at DirectRetryMax (80 s, not 140 s) from the last check at 110 s.
        RunUntil(agent, TimeSpan.FromSeconds(109), TimeSpan.FromSeconds(150));
        Assert.Equal(TimeSpan.FromSeconds(190), agent.DirectRetryAt);
    }

    [Fact]
    public void TheControlledSideLetsTheControllingSideRetryFirst()
    {
        var options = new IceOptions { MaxCheckAttempts = 2 };
        var (agent, wire) = Create(controlling: false, options, local: [LocalHost, LocalRelayed], remote: [RemoteHost]);
        var direct = Pair(agent, LocalHost, RemoteHost);
        var relayed = Pair(agent, LocalRelayed, RemoteHost);
        agent.OnTimer(TimeSpan.Zero);
        Assert.True(agent.TakeCheckToken(Ms(20), nominate: true));
        agent.CheckReceived(relayed, nominate: true, Ms(20)); // the peer nominates the relayed pair
        Assert.Same(relayed, agent.Selected);

        RunUntil(agent, Ms(20), TimeSpan.FromSeconds(35.9));
        Assert.Equal(TimeSpan.FromSeconds(36), agent.DirectRetryAt);
        int before = wire.Sent.Count;
        RunUntil(agent, TimeSpan.FromSeconds(35.9), TimeSpan.FromSeconds(37.9));
        Assert.Equal(before, wire.Sent.Count);
        Assert.Equal(TimeSpan.FromSeconds(38), agent.DirectRetryAt);

        RunUntil(agent, TimeSpan.FromSeconds(37.9), TimeSpan.FromSeconds(38));
        Assert.Equal(1, agent.DirectRetries);
        Assert.Equal((direct, false, TimeSpan.FromSeconds(38)), (wire.Sent[^1].Pair, wire.Sent[^1].Nominate, wire.Sent[^1].At));
    }

    [Fact]
    public void TheInboundCheckTokenBucketLimitsAFloodButNotANomination()
    {
        var (agent, _) = Create(controlling: false);
        int answered = Enumerable.Range(0, 100).Count(_ => agent.TakeCheckToken(TimeSpan.Zero, nominate: false));
        Assert.Equal(20, answered);
        Assert.Equal(100, agent.ChecksReceived);
        Assert.Equal(80, agent.ChecksRateLimited);
        Assert.True(agent.TakeCheckToken(TimeSpan.Zero, nominate: true));

        // Refilled at 40 per second, less the nomination answered on credit.
        answered = Enumerable.Range(0, 100).Count(_ => agent.TakeCheckToken(Ms(500), nominate: false));
        Assert.Equal(19, answered);
        answered = Enumerable.Range(0, 100).Count(_ => agent.TakeCheckToken(TimeSpan.FromSeconds(60), nominate: false));
        Assert.Equal(40, answered); // never beyond the burst
    }

    [Fact]
    public void ACheckFromAnUnknownAddressLearnsAPeerReflexivePairAndTriggersACheckOnIt()
    {
        var (agent, wire) = Create(controlling: false, remote: [RemoteHost]);
        agent.OnTimer(TimeSpan.Zero);
        var from = U("203.0.113.99", 40000);
        var pair = agent.PairForCheck(LocalHost.Address, from, IcePriority.Compute(CandidateKind.PeerReflexive, 65535), out bool refused);
        Assert.False(refused);
        Assert.NotNull(pair);
        Assert.Equal(CandidateKind.PeerReflexive, pair.Remote.Type);

        agent.CheckReceived(pair, nominate: false, Ms(10));
        agent.OnTimer(Ms(50));
        Assert.Equal((pair, false, true, Ms(50)), wire.Sent[^1]);
    }

    [Fact]
    public void APeerNominationSelectsAtOnceInHipButOnlyAfterOurOwnCheckInStun()
    {
        var (hip, _) = Create(controlling: false, remote: [RemoteHost]);
        var hipPair = Pair(hip, LocalHost, RemoteHost);
        hip.CheckReceived(hipPair, nominate: true, TimeSpan.Zero);
        Assert.Same(hipPair, hip.Selected);

        var (stun, _) = Create(controlling: false, mode: NatTraversalMode.IceStunUdp, remote: [RemoteHost]);
        var stunPair = Pair(stun, LocalHost, RemoteHost);
        stun.CheckReceived(stunPair, nominate: true, TimeSpan.Zero);
        Assert.Null(stun.Selected);
        stun.OnTimer(TimeSpan.Zero);
        Answer(stun, stunPair, Ms(10)); // RFC 8445 §7.3.1.5
        Assert.Same(stunPair, stun.Selected);
        Assert.True(stun.Concluded);
    }

    [Fact]
    public void APairWithoutARouteIsNotSelected()
    {
        var (agent, wire) = Create(controlling: false, remote: [RemoteHost]);
        var pair = Pair(agent, LocalHost, RemoteHost);
        wire.Unroutable.Add(pair);
        agent.CheckReceived(pair, nominate: true, TimeSpan.Zero);
        Assert.Null(agent.Selected);
        Assert.Empty(wire.Selections);
    }

    private sealed class FakeTransport : IIceTransport
    {
        private uint _nextId = 1;

        public IceAgent? Agent { get; set; }

        public List<(CandidatePair Pair, bool Nominate, bool Fresh, TimeSpan At)> Sent { get; } = [];

        public List<(CandidatePair Pair, string Reason)> Selections { get; } = [];

        public List<CandidatePair?> Concluded { get; } = [];

        public HashSet<CandidatePair> Unroutable { get; } = [];

        public int ChecksFailed { get; private set; }

        public int DirectRetries { get; private set; }

        public void SendCheck(CandidatePair pair, bool nominate, bool fresh, TimeSpan now)
        {
            if (fresh)
            {
                uint id = _nextId++;
                Agent!.AddTransaction(pair, id, BitConverter.GetBytes(id), nominate);
            }

            Sent.Add((pair, nominate, fresh, now));
        }

        public bool CanRoute(CandidatePair pair) => !Unroutable.Contains(pair);

        void IIceTransport.Selected(CandidatePair pair, string reason, TimeSpan now) => Selections.Add((pair, reason));

        public void PairWorks(CandidatePair pair, TimeSpan now)
        {
        }

        void IIceTransport.Concluded(CandidatePair? pair, TimeSpan now) => Concluded.Add(pair);

        void IIceTransport.ChecksFailed(TimeSpan now) => ChecksFailed++;

        void IIceTransport.DirectRetry(int pairs) => DirectRetries++;

        public void Trace(string message)
        {
        }
    }
}
