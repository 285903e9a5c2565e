using System.Net;

namespace Hipnat.Simulator;

/// <summary>A node attached to the simulated network through one or more addresses.</summary>
public sealed class SimHost
{
    private readonly List<SimInterface> _interfaces = [];

    internal SimHost(Simulation simulation, int id, string name, ISimNode node)
    {
        Simulation = simulation;
        Id = id;
        Name = name;
        Node = node;
        Context = new SimContext(simulation, this);
    }

    public Simulation Simulation { get; }

    /// <summary>Dense index of the host in its simulation, starting at 0.</summary>
    public int Id { get; }

    public string Name { get; }

    public ISimNode Node { get; }

    /// <summary>The context handed to the node; scenario code may also use it, e.g. to make the node send first.</summary>
    public SimContext Context { get; }

    /// <summary>The host's current addresses, in the order they were added.</summary>
    public IReadOnlyList<SimInterface> Interfaces => _interfaces;

    /// <summary>The address of the first interface (convenience for single-homed hosts).</summary>
    public IPAddress Address => _interfaces.Count > 0
        ? _interfaces[0].Address
        : throw new InvalidOperationException($"Host '{Name}' has no address.");

    /// <summary>True after <see cref="Simulation.RemoveHost"/>: it no longer receives datagrams or timers.</summary>
    public bool IsRemoved { get; internal set; }

    /// <summary>When the node's timer is due, if armed.</summary>
    public TimeSpan? TimerDue { get; internal set; }

    internal TimeSpan? TimerQueuedAt { get; set; }

    internal long TimerGeneration { get; set; }

    internal List<SimInterface> MutableInterfaces => _interfaces;

    /// <summary>The interface owning <paramref name="address"/>, if any.</summary>
    public SimInterface? FindInterface(IPAddress address)
    {
        var list = _interfaces;
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i].Address.Equals(address))
            {
                return list[i];
            }
        }

        return null;
    }

    /// <summary>The first address with <paramref name="port"/>.</summary>
    public SimEndpoint Endpoint(int port) => new(Address, port);

    public override string ToString() => Name;
}
