using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;

namespace Hipnat.Core.Tests;

/// <summary>Dropped packets are always counted; their log text is built only when the host has a debug log.</summary>
public sealed class DropLoggingTests
{
    private static readonly TransportAddress Local = TransportAddress.Udp(IPAddress.Parse("203.0.113.10"), 10500);
    private static readonly TransportAddress Remote = TransportAddress.Udp(IPAddress.Parse("203.0.113.20"), 10500);

    [Fact]
    public void WithoutADebugLogADropFormatsNothing()
    {
        var host = new HipHost(new HipHostOptions { Identity = SimPair.IdentityA });
        var argument = new CountingArgument();

        host.Drop(DropReason.Malformed, $"packet from {argument} with {argument:x} and {argument,8}");

        Assert.Equal(0, argument.Formatted);
        Assert.Equal(1, host.Counters.Dropped(DropReason.Malformed));
        Assert.Equal(1, host.Counters.DroppedTotal);
    }

    [Fact]
    public void WithADebugLogTheDropIsFormattedAndLogged()
    {
        var lines = new List<string>();
        var host = new HipHost(new HipHostOptions { Identity = SimPair.IdentityA }) { DebugLog = lines.Add };
        var argument = new CountingArgument();

        host.Drop(DropReason.BadMac, $"packet from {argument} with {argument:x} and {argument,8}");
        host.Drop(DropReason.NotForUs, "a plain string");

        Assert.Equal(3, argument.Formatted);
        Assert.Equal(["drop BadMac: packet from arg with arg:x and      arg", "drop NotForUs: a plain string"], lines);
        Assert.Equal(1, host.Counters.Dropped(DropReason.BadMac));
        Assert.Equal(1, host.Counters.Dropped(DropReason.NotForUs));
    }

    [Fact]
    public void AGarbageDatagramIsCountedWithOrWithoutTheLog()
    {
        var quiet = new HipHost(new HipHostOptions { Identity = SimPair.IdentityA });
        var lines = new List<string>();
        var logged = new HipHost(new HipHostOptions { Identity = SimPair.IdentityA }) { DebugLog = lines.Add };
        byte[] garbage = [0, 0, 0, 0, .. Enumerable.Repeat((byte)0xFF, 40)]; // the HIP marker, then no HIP header

        quiet.HandleDatagram(Local, Remote, garbage, TimeSpan.Zero);
        logged.HandleDatagram(Local, Remote, garbage, TimeSpan.Zero);

        Assert.Equal(1, quiet.Counters.Dropped(DropReason.Malformed));
        Assert.Equal(1, logged.Counters.Dropped(DropReason.Malformed));
        Assert.StartsWith($"drop Malformed: from {Remote}: ", Assert.Single(lines), StringComparison.Ordinal);
    }

    /// <summary>Counts how often it is formatted.</summary>
    private sealed class CountingArgument : IFormattable
    {
        public int Formatted { get; private set; }

        public override string ToString() => ToString(null, null);

        public string ToString(string? format, IFormatProvider? formatProvider)
        {
            Formatted++;
            return format is null ? "arg" : "arg:" + format;
        }
    }
}
