using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hipnat.Lab.Tests;

/// <summary>Small UDP client helpers for lab tests.</summary>
internal static class Udp
{
    /// <summary>Sends a probe to an <see cref="UdpEcho"/> and returns the source endpoint it saw, or null without an answer.</summary>
    public static IPEndPoint? Probe(Socket client, IPEndPoint server, int attempts = 3)
    {
        for (var i = 0; i < attempts; i++)
        {
            client.SendTo("probe"u8.ToArray(), server);
            var reply = Receive(client, TimeSpan.FromMilliseconds(700));
            if (reply is { } text && text.StartsWith("seen ", StringComparison.Ordinal))
            {
                return IPEndPoint.Parse(text[5..]);
            }
        }

        return null;
    }

    /// <summary>Waits for one datagram; null on timeout.</summary>
    public static string? Receive(Socket socket, TimeSpan timeout)
    {
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        var buffer = new byte[2048];
        try
        {
            var n = socket.Receive(buffer);
            return Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionRefused)
        {
            return null;
        }
    }

    /// <summary>Counts datagrams arriving until none came for <paramref name="quiet"/>.</summary>
    public static int Drain(Socket socket, TimeSpan quiet)
    {
        var count = 0;
        while (Receive(socket, quiet) is not null)
        {
            count++;
        }

        return count;
    }

    public static IPEndPoint At(IPAddress address, int port) => new(address, port);
}
