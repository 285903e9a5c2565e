using System.Net;
using System.Net.Sockets;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>Free ports and unused loopback addresses, so concurrently running tests never share sockets.</summary>
public static class Ports
{
    private static int _loopbackCounter = Random.Shared.Next(0, 200 * 250);

    /// <summary>A UDP port that was free on 127.0.0.1 a moment ago.</summary>
    public static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>A TCP port that was free on 127.0.0.1 a moment ago.</summary>
    public static int FreeTcpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>Two distinct UDP ports.</summary>
    public static (int A, int B) TwoFreeUdpPorts()
    {
        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        b.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (((IPEndPoint)a.LocalEndPoint!).Port, ((IPEndPoint)b.LocalEndPoint!).Port);
    }

    /// <summary>A pair of loopback addresses 127.X.Y.1 / 127.X.Y.2 unlikely to be used by anything else (all of 127/8 is local on Linux).</summary>
    public static (IPAddress A, IPAddress B) LoopbackPair()
    {
        int n = Interlocked.Increment(ref _loopbackCounter);
        int x = 50 + (n / 250 % 200);
        int y = n % 250;
        return (IPAddress.Parse($"127.{x}.{y}.1"), IPAddress.Parse($"127.{x}.{y}.2"));
    }
}
