using static Hipnat.Simulator.Tests.Net;

namespace Hipnat.Simulator.Tests;

public class TimerTests
{
    private readonly Simulation _sim = new(1);
    private readonly RecordingNode _node = new();
    private readonly SimHost _host;

    public TimerTests()
    {
        _host = _sim.AddHost("n", _node, _sim.AddRealm("r"), Ip("192.0.2.1"));
    }

    [Fact]
    public void Timer_fires_once_at_the_requested_time()
    {
        _host.Context.SetTimer(S(5));
        Assert.Equal(S(5), _host.TimerDue);
        _sim.Run(S(60));
        Assert.Equal([S(5)], _node.TimerFirings);
        Assert.Null(_host.TimerDue);
        Assert.Equal(1, _sim.Statistics.TimersFired);
    }

    [Fact]
    public void Rearming_later_replaces_the_earlier_setting()
    {
        _host.Context.SetTimer(S(5));
        _host.Context.SetTimer(S(8));
        _sim.Run(S(60));
        Assert.Equal([S(8)], _node.TimerFirings);
    }

    [Fact]
    public void Rearming_earlier_replaces_the_later_setting()
    {
        _host.Context.SetTimer(S(8));
        _host.Context.SetTimer(S(5));
        _sim.Run(S(60));
        Assert.Equal([S(5)], _node.TimerFirings);
    }

    [Fact]
    public void Cancelled_timer_does_not_fire_and_can_be_rearmed()
    {
        _host.Context.SetTimer(S(5));
        _host.Context.CancelTimer();
        _sim.Run(S(10));
        Assert.Empty(_node.TimerFirings);
        _host.Context.SetTimerAfter(S(1));
        _sim.Run(S(60));
        Assert.Equal([S(11)], _node.TimerFirings);
    }

    [Fact]
    public void A_past_time_fires_now_and_a_node_can_rearm_from_its_callback()
    {
        _sim.Run(S(10));
        _node.OnTimerFired = ctx =>
        {
            if (_node.TimerFirings.Count < 4)
            {
                ctx.SetTimer(ctx.Now + S(2));
            }
        };
        _host.Context.SetTimer(S(1));
        _sim.Run(S(60));
        Assert.Equal([S(10), S(12), S(14), S(16)], _node.TimerFirings);
    }

    [Fact]
    public void Many_rearms_do_not_leave_many_queued_events()
    {
        for (int i = 0; i < 1000; i++)
        {
            _host.Context.SetTimer(S(100 + i));
        }

        Assert.True(_sim.PendingEvents <= 2);
        _sim.Run(S(2000));
        Assert.Equal([S(1099)], _node.TimerFirings);
    }

    [Fact]
    public void Scheduled_actions_and_run_until()
    {
        bool done = false;
        _sim.Schedule(S(3), () => done = true);
        Assert.True(_sim.RunUntil(() => done, S(10)));
        Assert.Equal(S(3), _sim.Now);
        Assert.False(_sim.RunUntil(() => false, S(10)));
        Assert.Equal(S(13), _sim.Now);
    }

    [Fact]
    public void Run_cannot_be_reentered_from_a_callback()
    {
        _node.OnTimerFired = _ => _sim.Run(S(100));
        _host.Context.SetTimer(S(1));
        Assert.Throws<InvalidOperationException>(() => _sim.Run(S(10)));
    }
}
