using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hipnat.Lab.Tests;

/// <summary>
/// A UDP echo server bound inside a lab host's namespace: it answers every datagram with "seen ADDRESS:PORT", the
/// source endpoint it saw, so the sender learns how a NAT mapped it.
/// </summary>
internal sealed class UdpEcho : IDisposable
{
    private readonly Socket socket;
    private readonly Thread thread;
    private volatile bool stopping;

    private UdpEcho(Socket socket, IPEndPoint endpoint)
    {
        this.socket = socket;
        Endpoint = endpoint;
        thread = new Thread(Loop) { IsBackground = true, Name = $"udp echo {endpoint}" };
        thread.Start();
    }

    public IPEndPoint Endpoint { get; }

    public ConcurrentQueue<IPEndPoint> Seen { get; } = new();

    public static UdpEcho Start(LabHost host, int port)
    {
        var socket = host.OpenUdpSocket(port);
        socket.ReceiveTimeout = 200;
        return new UdpEcho(socket, new IPEndPoint(host.Address, port));
    }

    public void Dispose()
    {
        stopping = true;
        thread.Join();
        socket.Dispose();
    }

    private void Loop()
    {
        var buffer = new byte[2048];
        while (!stopping)
        {
            EndPoint remote = new IPEndPoint(IPAddress.Any, 0);
            int received;
            try
            {
                received = socket.ReceiveFrom(buffer, ref remote);
            }
            catch (SocketException)
            {
                continue;
            }

            var from = (IPEndPoint)remote;
            Seen.Enqueue(from);
            try
            {
                socket.SendTo(Encoding.ASCII.GetBytes($"seen {from}"), from);
            }
            catch (SocketException)
            {
            }
        }
    }
}
