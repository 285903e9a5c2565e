namespace Hipnat.Lab.Tests;

/// <summary>The ping output parser behind <see cref="PingRecorder"/>, on captured iputils output (no root needed).</summary>
public class PingTraceTests
{
    // ping -D -n -O -i 0.01 198.51.100.20, stopped with Ctrl-C: seq 3 answered twice, 4-6 lost, 7 late.
    private const string Ipv4 = """
        PING 198.51.100.20 (198.51.100.20) 56(84) bytes of data.
        [1796610202.671335] 64 bytes from 198.51.100.20: icmp_seq=1 ttl=64 time=0.228 ms
        [1796610202.681988] 64 bytes from 198.51.100.20: icmp_seq=2 ttl=64 time=0.035 ms
        [1796610202.691892] 64 bytes from 198.51.100.20: icmp_seq=3 ttl=64 time=0.041 ms
        [1796610202.692001] 64 bytes from 198.51.100.20: icmp_seq=3 ttl=64 time=0.150 ms (DUP!)
        [1796610202.711892] no answer yet for icmp_seq=4
        [1796610202.721892] no answer yet for icmp_seq=5
        [1796610202.731892] no answer yet for icmp_seq=6
        [1796610202.741892] 64 bytes from 198.51.100.20: icmp_seq=7 ttl=64 time=0.046 ms
        [1796610202.751915] 64 bytes from 198.51.100.20: icmp_seq=8 ttl=64 time=0.036 ms
        ^C
        --- 198.51.100.20 ping statistics ---
        8 packets transmitted, 5 received, +1 duplicates, 37.5% packet loss, time 80ms
        rtt min/avg/max/mdev = 0.035/0.077/0.228/0.075 ms
        """;

    // ping -D -n -i 0.01 to a HIT over hip0, killed before its summary.
    private const string Ipv6 = """
        PING 2001:21:d3a5:8b1c:4f2e:9a07:13c6:55e0(2001:21:d3a5:8b1c:4f2e:9a07:13c6:55e0) 56 data bytes
        [1796610300.100000] 64 bytes from 2001:21:d3a5:8b1c:4f2e:9a07:13c6:55e0: icmp_seq=1 ttl=64 time=0.533 ms
        [1796610300.110000] 64 bytes from 2001:21:d3a5:8b1c:4f2e:9a07:13c6:55e0: icmp_seq=2 ttl=64 time=0.412 ms
        [1796610300.620000] 64 bytes from 2001:21:d3a5:8b1c:4f2e:9a07:13c6:55e0: icmp_seq=53 ttl=64 time=0.401 ms
        [1796610300.630000] 64 bytes from 2001:21:d3a5:8b1c:4f2e:9a07:13c6:55e0: icmp_seq=54 ttl=64 time=0.398 ms
        """;

    [Fact]
    public void Ipv4OutputGivesRepliesDuplicatesLossAndTheSummary()
    {
        var trace = PingTrace.Parse(Ipv4);

        Assert.Equal("198.51.100.20", trace.Destination);
        Assert.Equal([1, 2, 3, 7, 8], trace.Replies.Select(r => r.Sequence));
        Assert.Equal(8, trace.Sent);
        Assert.Equal(8, trace.ReportedSent);
        Assert.Equal(5, trace.ReportedReceived);
        Assert.Equal(3, trace.Lost);
        Assert.Equal(1, trace.Duplicates);
        Assert.Equal([4, 5, 6], trace.Unanswered);
        Assert.Equal(TimeSpan.FromMilliseconds(0.228), trace.Replies[0].RoundTripTime);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1796610202671).AddTicks(3350), trace.Replies[0].ReceivedAt);
    }

    [Fact]
    public void LongestGapIsBetweenTheRepliesAroundTheLoss()
    {
        var trace = PingTrace.Parse(Ipv4);

        var gap = Assert.NotNull(trace.LongestGap);

        Assert.Equal(trace.Replies[2].ReceivedAt, gap.From); // seq 3 (its duplicate is not a reply of its own)
        Assert.Equal(trace.Replies[3].ReceivedAt, gap.To);   // seq 7
        Assert.Equal(TimeSpan.FromMilliseconds(50), gap.Duration);
    }

    [Fact]
    public void Ipv6OutputWithoutSummaryCountsSentFromTheHighestSequence()
    {
        var trace = PingTrace.Parse(Ipv6);

        Assert.Equal("2001:21:d3a5:8b1c:4f2e:9a07:13c6:55e0", trace.Destination);
        Assert.Null(trace.ReportedSent);
        Assert.Equal(54, trace.Sent);
        Assert.Equal(4, trace.Replies.Count);
        Assert.Equal(50, trace.Lost);
        Assert.Equal(TimeSpan.FromMilliseconds(510), trace.LongestGap?.Duration);
    }

    [Fact]
    public void GapAroundAFailureRunsFromTheLastReplyBeforeItToTheFirstAfterIt()
    {
        var trace = PingTrace.Parse(Ipv6);
        var failure = trace.Start.AddMilliseconds(300);

        // The 510 ms silence holds the instant: it is what a failure then cost, longer than the 220 ms GapAfter sees.
        Assert.Equal(trace.LongestGap, trace.GapAround(failure));
        Assert.Equal(TimeSpan.FromMilliseconds(510), trace.GapAround(failure)?.Duration);
        Assert.Null(trace.GapAround(trace.Start.AddSeconds(5)));
    }

    [Fact]
    public void GapAfterAMarkRunsToTheFirstReplyAfterIt()
    {
        var start = PingTrace.Parse(Ipv6).Start;
        var up = new PingMark("new address up", start.AddMilliseconds(300));

        var trace = PingTrace.Parse(Ipv6, [up]);

        Assert.Equal(TimeSpan.FromMilliseconds(220), trace.GapAfter("new address up")?.Duration);
        Assert.Null(trace.GapAfter(start.AddSeconds(5)));
        Assert.Throws<KeyNotFoundException>(() => trace.GapAfter("never marked"));
        Assert.Equal(TimeSpan.FromMilliseconds(510), trace.LongestSilence(start, trace.End));
        Assert.Equal(TimeSpan.FromMilliseconds(200), trace.LongestSilence(start.AddMilliseconds(10), start.AddMilliseconds(210)));
    }

    [Fact]
    public void RepliesPerBinCountEach100MillisecondsFromTheStart()
    {
        var trace = PingTrace.Parse(Ipv6);

        var bins = trace.RepliesPerBin();

        Assert.Equal([2, 0, 0, 0, 0, 2], bins); // 0.00/0.01, nothing for 0.1-0.5 s, 0.52/0.53
        Assert.Equal(10, trace.FullRatePerBin());
        Assert.Equal(4, trace.RepliesPerBin(TimeSpan.FromSeconds(1)).Single());
    }

    [Fact]
    public void ErrorsAndWrappedSequencesAreRead()
    {
        const string output = """
            [1796610400.000000] 64 bytes from 198.18.1.1: icmp_seq=65534 ttl=64 time=0.1 ms
            [1796610400.010000] 64 bytes from 198.18.1.1: icmp_seq=65535 ttl=64 time=0.1 ms
            [1796610400.020000] From 198.18.1.1 icmp_seq=0 Destination Host Unreachable
            ping: sendmsg: Network is unreachable
            [1796610400.040000] 64 bytes from 198.18.1.1: icmp_seq=1 ttl=64 time=0.1 ms
            """;

        var trace = PingTrace.Parse(output);

        Assert.Equal([65534, 65535, 65537], trace.Replies.Select(r => r.Sequence));
        Assert.Equal(2, trace.Errors);
        Assert.Equal(65537, trace.Sent);
    }

    [Fact]
    public void OptionsBecomePingArguments()
    {
        var options = new PingOptions { Deadline = TimeSpan.FromSeconds(5), ReplyTimeout = TimeSpan.FromMilliseconds(500), Interface = "hip0", ReportOutstanding = true };

        Assert.Equal(["-D", "-n", "-i", "0.01", "-O", "-w", "5", "-W", "0.5", "-I", "hip0", "2001:db8::1"], options.ToArguments("2001:db8::1"));
        Assert.Equal(["-D", "-n", "-i", "0.2", "-c", "3", "192.0.2.1"], new PingOptions { Interval = TimeSpan.FromMilliseconds(200), Count = 3 }.ToArguments("192.0.2.1"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PingOptions { Count = 0 }.ToArguments("192.0.2.1"));
    }
}
