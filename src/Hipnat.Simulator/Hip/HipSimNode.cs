using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;

namespace Hipnat.Simulator.Hip;

/// <summary>
/// Runs a sans-IO <see cref="HipHost"/> as a simulated host: datagrams and timer ticks from the simulator go in,
/// transmits and the next timeout come out. The same core as the daemon, on virtual time.
/// </summary>
public sealed class HipSimNode : ISimNode
{
    public HipSimNode(HipHost host, ushort port = TransportAddress.DefaultHipPort)
    {
        Host = host;
        Port = port;
    }

    public HipHost Host { get; }

    public ushort Port { get; }

    /// <summary>Every event the host raised, in order (tests assert on these).</summary>
    public List<HipEvent> Events { get; } = [];

    /// <summary>Called for each event as it is raised.</summary>
    public Action<HipSimNode, HipEvent>? OnEvent { get; set; }

    public SimHost? SimHost { get; private set; }

    /// <summary>Sees each datagram before it is sent (source, destination, payload); returning true takes it over
    /// (a test driver wrapping some transmits, e.g. for a TURN-like relay).</summary>
    public Func<SimContext, SimEndpoint, SimEndpoint, byte[], bool>? SendFilter { get; set; }

    public void Attach(SimHost simHost) => SimHost = simHost;

    public void OnDatagram(SimContext ctx, SimEndpoint local, SimEndpoint remote, ReadOnlySpan<byte> payload)
    {
        Host.HandleDatagram(
            TransportAddress.Udp(local.Address, (ushort)local.Port),
            TransportAddress.Udp(remote.Address, (ushort)remote.Port),
            payload,
            ctx.Now);
        Flush(ctx);
    }

    public void OnTimer(SimContext ctx)
    {
        Host.HandleTimeout(ctx.Now);
        Flush(ctx);
    }

    /// <summary>Runs <paramref name="action"/> against the host at the current virtual time, then sends what it produced.</summary>
    public void Invoke(Action<HipHost, TimeSpan> action)
    {
        var ctx = SimHost?.Context ?? throw new InvalidOperationException("node is not attached to a simulated host");
        action(Host, ctx.Now);
        Flush(ctx);
    }

    public void Flush(SimContext ctx)
    {
        while (Host.TryPollTransmit(out var t))
        {
            try
            {
                var from = t.Local.Address.Equals(IPAddress.Any) || t.Local.Address.Equals(IPAddress.IPv6Any) || t.Local.Port == 0
                    ? new SimEndpoint(t.Local.Address.Equals(IPAddress.Any) || t.Local.Address.Equals(IPAddress.IPv6Any) ? ctx.Address : t.Local.Address, Port)
                    : new SimEndpoint(t.Local.Address, t.Local.Port);
                var to = new SimEndpoint(t.Remote.Address, t.Remote.Port);
                if (SendFilter is { } filter && filter(ctx, from, to, t.Payload.ToArray()))
                {
                    continue;
                }

                ctx.Send(from, to, t.Payload);
            }
            finally
            {
                t.Release();
            }
        }

        while (Host.TryPollEvent(out var e))
        {
            Events.Add(e);
            OnEvent?.Invoke(this, e);
        }

        if (Host.NextTimeout is TimeSpan due)
        {
            ctx.SetTimer(due < ctx.Now ? ctx.Now : due);
        }
        else
        {
            ctx.CancelTimer();
        }
    }
}
