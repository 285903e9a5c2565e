using System.Net;
using Hipnat.Core.Transport;

namespace Hipnat.Runtime.Tests;

/// <summary>I1/I2 wait in a small queue of their own, served after established traffic but never starved.</summary>
public sealed class DriverInboxTests
{
    private static readonly TransportAddress Local = TransportAddress.Udp(IPAddress.Loopback, 10500);

    [Fact]
    public void PriorityDatagramsComeOutFirstAndBaseExchangeIsNotStarved()
    {
        using var inbox = new DriverInbox(capacity: 64, baseExchangeCapacity: 16);
        for (int i = 0; i < 16; i++)
        {
            Assert.True(inbox.PostDatagram(Hip(type: i % 2 == 0 ? 1 : 3, tag: i)));
        }

        for (int i = 0; i < 64; i++)
        {
            Assert.True(inbox.PostDatagram((i % 3) switch { 0 => Esp(i), 1 => Hip(type: 16, tag: i), _ => Hip(type: 2, tag: i) }));
        }

        var order = new List<(bool BaseExchange, int Tag)>();
        while (inbox.TryTakeDatagram(out var d))
        {
            order.Add((DriverInbox.IsBaseExchange(d), d.Buffer[d.Length - 1]));
            d.Release();
        }

        Assert.Equal(80, order.Count);

        // Priority first: runs of PriorityRun, each followed by one I1/I2 while both queues hold some.
        for (int run = 0; run < 8; run++)
        {
            var slice = order.Skip(run * (DriverInbox.PriorityRun + 1)).Take(DriverInbox.PriorityRun + 1).ToList();
            Assert.All(slice.Take(DriverInbox.PriorityRun), x => Assert.False(x.BaseExchange));
            Assert.True(slice[^1].BaseExchange);
        }

        // Every priority datagram is out while 9 of the 16 waiting I1/I2s are still queued; each queue keeps its order.
        int lastPriority = order.FindLastIndex(x => !x.BaseExchange);
        Assert.Equal(9, order.Skip(lastPriority + 1).Count());
        Assert.Equal(Enumerable.Range(0, 64), order.Where(x => !x.BaseExchange).Select(x => x.Tag));
        Assert.Equal(Enumerable.Range(0, 16), order.Where(x => x.BaseExchange).Select(x => x.Tag));
    }

    [Fact]
    public void FullBaseExchangeQueueDropsAndCountsWithoutTouchingThePriorityQueue()
    {
        using var inbox = new DriverInbox(capacity: 8, baseExchangeCapacity: 4);
        for (int i = 0; i < 10; i++)
        {
            bool queued = inbox.PostDatagram(Hip(type: 3, tag: i));
            Assert.Equal(i < 4, queued);
        }

        Assert.Equal(6, inbox.DroppedBaseExchange);
        Assert.Equal(6, inbox.Dropped);

        // Established traffic still gets in, up to its own bound.
        for (int i = 0; i < 8; i++)
        {
            Assert.True(inbox.PostDatagram(Esp(i)));
        }

        Assert.False(inbox.PostDatagram(Esp(9)));
        Assert.Equal(6, inbox.DroppedBaseExchange);
        Assert.Equal(7, inbox.Dropped);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(3, true)]
    [InlineData(0x81, true)] // the reserved high bit is ignored
    [InlineData(2, false)]
    [InlineData(4, false)]
    [InlineData(16, false)] // UPDATE
    [InlineData(18, false)] // CLOSE
    public void ClassifiesByHipPacketType(int type, bool baseExchange)
    {
        var udp = Hip(type, tag: 0);
        Assert.Equal(baseExchange, DriverInbox.IsBaseExchange(udp));
        udp.Release();

        // A raw HIP packet has no marker: the type is the third octet of the datagram.
        var raw = new byte[48];
        raw[0] = 59;
        raw[2] = (byte)type;
        var rawDatagram = ReceivedDatagram.Copy(TransportAddress.Raw(IPAddress.Loopback), TransportAddress.Raw(IPAddress.Loopback), raw);
        Assert.Equal(baseExchange, DriverInbox.IsBaseExchange(rawDatagram));
        rawDatagram.Release();

        var esp = Esp(type);
        Assert.False(DriverInbox.IsBaseExchange(esp));
        esp.Release();
    }

    /// <summary>A UDP-framed HIP packet (zero marker, HIP header) whose last octet is <paramref name="tag"/>.</summary>
    private static ReceivedDatagram Hip(int type, int tag)
    {
        var p = new byte[4 + 48];
        p[4] = 59;
        p[5] = 5;
        p[6] = (byte)type;
        p[7] = 0x21;
        p[^1] = (byte)tag;
        return ReceivedDatagram.Copy(Local, Local, p);
    }

    /// <summary>An ESP packet over UDP: a non-zero SPI where the marker would be, so I1/I2 type octets do not matter.</summary>
    private static ReceivedDatagram Esp(int tag)
    {
        var p = new byte[64];
        p[3] = 7;
        p[6] = 3;
        p[^1] = (byte)tag;
        return ReceivedDatagram.Copy(Local, Local, p);
    }
}
