using System.Net;
using System.Net.Sockets;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Runtime.Transports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>On Linux the kernel puts I1s and I2s on the listener's second socket and everything else on the main one.</summary>
public sealed class BaseExchangeSteeringTests
{
    [Fact]
    public void I1AndI2GoToTheirOwnSocketEspUpdateAndStunToTheMainOne()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "SO_ATTACH_REUSEPORT_CBPF is Linux only");
        int port = Ports.FreeUdpPort();
        using var listener = new UdpListener(TransportAddress.Udp(IPAddress.Loopback, (ushort)port), new TransportCounters(), NullLogger.Instance);
        Assert.NotNull(listener.BaseExchangeSocket);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var to = new IPEndPoint(IPAddress.Loopback, port);

        // RFC 9028 §5.1 marker, then a HIP header whose third octet holds the packet type (RFC 7401 §5.1).
        byte[] Hip(byte type) => [0, 0, 0, 0, 0x3B, 4, type, 0x12, 0, 0, 0, 0];
        peer.SendTo(Hip(1), to);                                              // I1
        peer.SendTo(Hip(3), to);                                              // I2
        peer.SendTo(Hip(16), to);                                             // UPDATE
        peer.SendTo(new byte[] { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 9, 9 }, to); // ESP: SPI, sequence number
        peer.SendTo(new byte[] { 0, 0, 0 }, to);                              // too short to classify

        Assert.Equal([1, 3], Receive(listener.BaseExchangeSocket!, 2).Select(d => (int)d[6]));
        var main = Receive(listener.Socket, 3);
        Assert.Equal(16, main[0][6]);
        Assert.Equal(0x12, main[1][0]);
        Assert.Equal(3, main[2].Length);
    }

    [Fact]
    public void APortHeldByAnotherSocketIsStillAnError()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)holder.LocalEndPoint!).Port;
        Assert.Throws<TransportException>(() => new UdpListener(TransportAddress.Udp(IPAddress.Loopback, (ushort)port), new TransportCounters(), NullLogger.Instance));
        using var first = new UdpListener(TransportAddress.Udp(IPAddress.Loopback, 0), new TransportCounters(), NullLogger.Instance);
        Assert.Throws<TransportException>(() => new UdpListener(first.Local, new TransportCounters(), NullLogger.Instance));
    }

    private static List<byte[]> Receive(Socket socket, int count)
    {
        socket.ReceiveTimeout = 2000;
        var list = new List<byte[]>();
        var buffer = new byte[2048];
        for (int i = 0; i < count; i++)
        {
            int n = socket.Receive(buffer);
            list.Add(buffer[..n]);
        }

        socket.Blocking = false;
        Assert.Throws<SocketException>(() => socket.Receive(buffer)); // nothing else arrived there
        return list;
    }
}
