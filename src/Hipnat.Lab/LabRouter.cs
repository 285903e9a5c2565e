namespace Hipnat.Lab;

/// <summary>
/// A node that forwards IPv4 between its interfaces (<c>net.ipv4.ip_forward=1</c> in its namespace). Made with
/// <see cref="NetworkLab.AddRouter"/>; a router with no NAT joins public segments or makes routed topologies.
/// </summary>
public class LabRouter : LabHost
{
    internal LabRouter(NetworkLab lab, string name, string namespaceName)
        : base(lab, name, namespaceName)
    {
    }
}
