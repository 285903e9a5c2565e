using System.Net;

namespace Hipnat.Simulator;

/// <summary>One address of a host in one realm, with the access link that connects it.</summary>
public sealed class SimInterface
{
    internal SimInterface(SimHost host, Realm realm, IPAddress address, LinkProfile? profile)
    {
        Host = host;
        Realm = realm;
        Address = address;
        Profile = profile;
    }

    public SimHost Host { get; }

    public Realm Realm { get; }

    public IPAddress Address { get; }

    /// <summary>This attachment's link; null uses the realm's <see cref="Realm.DefaultProfile"/>.</summary>
    public LinkProfile? Profile { get; set; }

    /// <summary>When false, packets sent from or arriving at this address are dropped (<see cref="DropReason.LinkDown"/>).</summary>
    public bool IsUp { get; set; } = true;

    /// <summary>False once the address was removed or moved.</summary>
    public bool IsAttached { get; internal set; } = true;

    internal LinkProfile EffectiveProfile => Profile ?? Realm.DefaultProfile;

    /// <summary>This address with <paramref name="port"/>.</summary>
    public SimEndpoint Endpoint(int port) => new(Address, port);

    public override string ToString() => $"{Host.Name}@{Address} ({Realm.Name})";
}
