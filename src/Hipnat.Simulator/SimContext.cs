using System.Net;

namespace Hipnat.Simulator;

/// <summary>What a node may do: read the clock, send datagrams, arm its timer and draw deterministic randomness.</summary>
public sealed class SimContext
{
    private readonly Simulation _simulation;
    private SimRandom? _random;

    internal SimContext(Simulation simulation, SimHost host)
    {
        _simulation = simulation;
        Host = host;
    }

    public Simulation Simulation => _simulation;

    public SimHost Host { get; }

    /// <summary>The node's id (<see cref="SimHost.Id"/>).</summary>
    public int NodeId => Host.Id;

    public string Name => Host.Name;

    /// <summary>Virtual time since simulation start.</summary>
    public TimeSpan Now => _simulation.Now;

    /// <summary>
    /// This node's own random stream, derived from the simulation seed and the node id, so a node's draws never
    /// perturb the network's loss and jitter draws.
    /// </summary>
    public SimRandom Random => _random ??= new SimRandom(_simulation.Seed, 0x1_0000_0000UL + (ulong)Host.Id);

    /// <summary>The node's current addresses.</summary>
    public IReadOnlyList<SimInterface> Interfaces => Host.Interfaces;

    /// <summary>The first address (convenience for single-homed nodes).</summary>
    public IPAddress Address => Host.Address;

    /// <summary>When the timer is due, if armed.</summary>
    public TimeSpan? TimerDue => Host.TimerDue;

    /// <summary>
    /// Sends a datagram from one of this node's addresses. The payload is copied; the caller may reuse its buffer.
    /// Sending from an address the node does not own drops the packet (<see cref="DropReason.SourceNotOwned"/>).
    /// </summary>
    public void Send(SimEndpoint from, SimEndpoint to, ReadOnlySpan<byte> payload) =>
        _simulation.SendFromHost(Host, from, to, payload);

    /// <summary>Arms the node's single timer for virtual time <paramref name="at"/> (a past time fires as soon as possible), replacing any earlier setting.</summary>
    public void SetTimer(TimeSpan at) => _simulation.SetTimer(Host, at);

    /// <summary>Arms the timer <paramref name="delay"/> from now.</summary>
    public void SetTimerAfter(TimeSpan delay) => _simulation.SetTimer(Host, _simulation.Now + delay);

    /// <summary>Disarms the timer.</summary>
    public void CancelTimer() => Host.TimerDue = null;
}
