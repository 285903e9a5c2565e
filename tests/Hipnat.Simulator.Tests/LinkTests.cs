using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class LinkTests
{
    private readonly Simulation _sim = new(7);
    private readonly Realm _net;
    private readonly SimHost _a;
    private readonly SimHost _b;
    private readonly RecordingNode _bNode = new();

    public LinkTests()
    {
        _net = _sim.AddRealm("internet");
        _a = _sim.AddHost("a", new RecordingNode(), _net, Ip("192.0.2.1"));
        _b = _sim.AddHost("b", _bNode, _net, Ip("192.0.2.2"));
    }

    private void SendAB(byte[] payload) => _a.Context.Send(Ep("192.0.2.1:1000"), Ep("192.0.2.2:2000"), payload);

    [Fact]
    public void Delivery_arrives_after_the_link_delay_with_endpoints_and_payload()
    {
        _a.Interfaces[0].Profile = LinkProfile.WithDelay(Ms(30));
        _sim.Run(S(1));
        SendAB([1, 2, 3]);
        _sim.Run(S(2));

        var got = Assert.Single(_bNode.Received);
        Assert.Equal(S(1) + Ms(30), got.Time);
        Assert.Equal(Ep("192.0.2.2:2000"), got.Local);
        Assert.Equal(Ep("192.0.2.1:1000"), got.Remote);
        Assert.Equal([1, 2, 3], got.Payload);
        Assert.Equal(1, _sim.Statistics.Sent);
        Assert.Equal(1, _sim.Statistics.Delivered);
    }

    [Fact]
    public void Sender_and_receiver_links_add_up_and_realm_default_applies_to_attachments_without_a_profile()
    {
        _net.DefaultProfile = LinkProfile.WithDelay(Ms(5));
        _a.Interfaces[0].Profile = LinkProfile.WithDelay(Ms(30));
        SendAB([1]);
        _sim.Run(S(1));
        Assert.Equal(Ms(35), Assert.Single(_bNode.Received).Time);
    }

    [Fact]
    public void Zero_delay_delivers_at_the_same_virtual_time_but_after_the_sender_returns()
    {
        _sim.Run(S(3));
        SendAB([1]);
        Assert.Empty(_bNode.Received);
        _sim.Run(S(3));
        Assert.Equal(S(3), Assert.Single(_bNode.Received).Time);
    }

    [Fact]
    public void Jitter_stays_within_delay_plus_jitter_and_varies()
    {
        _a.Interfaces[0].Profile = new LinkProfile { Delay = Ms(10), Jitter = Ms(5) };
        for (int i = 0; i < 500; i++)
        {
            SendAB([1]);
        }

        _sim.Run(S(1));
        Assert.Equal(500, _bNode.Received.Count);
        Assert.All(_bNode.Received, r => Assert.InRange(r.Time, Ms(10), Ms(15)));
        Assert.True(_bNode.Received.Select(r => r.Time).Distinct().Count() > 100);
    }

    [Fact]
    public void Loss_rate_matches_the_profile_over_10000_packets()
    {
        _a.Interfaces[0].Profile = new LinkProfile { Loss = 0.3, Delay = Ms(1) };
        for (int i = 0; i < 10_000; i++)
        {
            SendAB([1]);
        }

        _sim.Run(S(1));
        int delivered = _bNode.Received.Count;
        Assert.InRange(delivered, 6_700, 7_300);
        Assert.Equal(10_000 - delivered, _sim.Statistics.DroppedBy(DropReason.Loss));
        Assert.Equal(10_000 - delivered, _sim.Statistics.Dropped);
        Assert.Equal(delivered, _sim.Statistics.Delivered);
    }

    [Fact]
    public void Loss_on_the_receivers_link_also_applies()
    {
        _b.Interfaces[0].Profile = new LinkProfile { Loss = 1.0 };
        SendAB([1]);
        _sim.Run(S(1));
        Assert.Empty(_bNode.Received);
        Assert.Equal(1, _sim.Statistics.DroppedBy(DropReason.Loss));
    }

    [Fact]
    public void Duplication_delivers_extra_copies_at_the_configured_rate()
    {
        _a.Interfaces[0].Profile = new LinkProfile { Duplication = 0.25, Delay = Ms(2), Jitter = Ms(2) };
        for (int i = 0; i < 4_000; i++)
        {
            SendAB(BitConverter.GetBytes(i));
        }

        _sim.Run(S(1));
        int delivered = _bNode.Received.Count;
        Assert.InRange(delivered, 4_850, 5_150);
        Assert.Equal(delivered - 4_000, _sim.Statistics.Duplicated);
        var distinct = _bNode.Received.Select(r => BitConverter.ToInt32(r.Payload)).Distinct().Count();
        Assert.Equal(4_000, distinct);
    }

    [Fact]
    public void Reordering_lets_later_packets_overtake_held_back_ones()
    {
        _a.Interfaces[0].Profile = new LinkProfile { Delay = Ms(10), Reordering = 0.1, ReorderDelay = Ms(5) };
        int sent = 0;
        _sim.Schedule(TimeSpan.Zero, Tick);
        _sim.Run(S(2));

        var order = _bNode.Received.Select(r => BitConverter.ToInt32(r.Payload)).ToList();
        Assert.Equal(200, order.Count);
        int inversions = order.Zip(order.Skip(1)).Count(p => p.First > p.Second);
        Assert.InRange(inversions, 5, 60);

        void Tick()
        {
            SendAB(BitConverter.GetBytes(sent++));
            if (sent < 200)
            {
                _sim.ScheduleAfter(Ms(1), Tick);
            }
        }
    }

    [Fact]
    public void Without_reordering_or_jitter_packets_arrive_in_order()
    {
        _a.Interfaces[0].Profile = new LinkProfile { Delay = Ms(10) };
        for (int i = 0; i < 200; i++)
        {
            SendAB(BitConverter.GetBytes(i));
        }

        _sim.Run(S(1));
        Assert.Equal(Enumerable.Range(0, 200), _bNode.Received.Select(r => BitConverter.ToInt32(r.Payload)));
    }

    [Fact]
    public void Packets_to_unknown_addresses_are_dropped_and_counted()
    {
        _a.Context.Send(Ep("192.0.2.1:1000"), Ep("192.0.2.99:2000"), [1]);
        _sim.Run(S(1));
        Assert.Equal(1, _sim.Statistics.DroppedBy(DropReason.NoRoute));
        Assert.Equal(0, _sim.Statistics.Delivered);
    }

    [Fact]
    public void Sending_from_an_address_the_host_does_not_own_is_dropped()
    {
        _a.Context.Send(Ep("192.0.2.2:1000"), Ep("192.0.2.2:2000"), [1]);
        _sim.Run(S(1));
        Assert.Empty(_bNode.Received);
        Assert.Equal(1, _sim.Statistics.DroppedBy(DropReason.SourceNotOwned));
    }

    [Fact]
    public void A_down_interface_neither_sends_nor_receives()
    {
        _b.Interfaces[0].IsUp = false;
        SendAB([1]);
        _sim.Run(S(1));
        Assert.Equal(1, _sim.Statistics.DroppedBy(DropReason.LinkDown));
        _b.Interfaces[0].IsUp = true;
        SendAB([1]);
        _sim.Run(S(2));
        Assert.Single(_bNode.Received);
    }

    [Fact]
    public void The_payload_is_copied_so_the_sender_may_reuse_its_buffer()
    {
        var buffer = new byte[] { 1, 2, 3 };
        SendAB(buffer);
        buffer[0] = 9;
        _sim.Run(S(1));
        Assert.Equal([1, 2, 3], Assert.Single(_bNode.Received).Payload);
    }

    [Fact]
    public void Invalid_profiles_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinkProfile { Loss = 1.5 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinkProfile { Duplication = -0.1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinkProfile { Delay = Ms(-1) });
    }
}
