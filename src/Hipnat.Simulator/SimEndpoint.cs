using System.Globalization;
using System.Net;

namespace Hipnat.Simulator;

/// <summary>A transport endpoint (IP address and UDP port) inside the simulation.</summary>
public readonly record struct SimEndpoint
{
    public SimEndpoint(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        Address = address;
        Port = port;
    }

    public IPAddress Address { get; }

    public int Port { get; }

    public void Deconstruct(out IPAddress address, out int port)
    {
        address = Address;
        port = Port;
    }

    /// <summary>Parses "192.0.2.1:500" or "[2001:db8::1]:500".</summary>
    public static SimEndpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return FromIPEndPoint(IPEndPoint.Parse(text));
    }

    public static SimEndpoint FromIPEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return new SimEndpoint(endPoint.Address, endPoint.Port);
    }

    public IPEndPoint ToIPEndPoint() => new(Address, Port);

    /// <summary>The same address with another port.</summary>
    public SimEndpoint WithPort(int port) => new(Address, port);

    public override string ToString()
    {
        if (Address is null)
        {
            return "<none>";
        }

        return Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? string.Create(CultureInfo.InvariantCulture, $"[{Address}]:{Port}")
            : string.Create(CultureInfo.InvariantCulture, $"{Address}:{Port}");
    }
}
