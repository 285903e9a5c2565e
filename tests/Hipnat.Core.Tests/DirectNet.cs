using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;

namespace Hipnat.Core.Tests;

/// <summary>
/// A lossless, zero-delay network of <see cref="HipHost"/>s driven directly (no simulator): every transmit is
/// delivered to the host at its destination address, in order, until none is left. A filter sees each datagram
/// first and may swallow it.
/// </summary>
internal sealed class DirectNet
{
    private readonly Dictionary<TransportAddress, HipHost> _byAddress = [];
    private readonly List<(HipHost Host, TransportAddress Address)> _hosts = [];

    public TimeSpan Now { get; set; }

    /// <summary>(from, to, UDP payload) → false to drop the datagram.</summary>
    public Func<TransportAddress, TransportAddress, byte[], bool>? Filter { get; set; }

    public TransportAddress Add(HipHost host, string ip)
    {
        var address = TransportAddress.Udp(IPAddress.Parse(ip), TransportAddress.DefaultHipPort);
        _byAddress[address] = host;
        _hosts.Add((host, address));
        return address;
    }

    /// <summary>Hands one datagram to the host at <paramref name="to"/>, then delivers everything that follows.</summary>
    public void Inject(TransportAddress from, TransportAddress to, byte[] payload)
    {
        _byAddress[to].HandleDatagram(to, from, payload, Now);
        Pump();
    }

    public void Pump()
    {
        bool moved = true;
        while (moved)
        {
            moved = false;
            foreach (var (host, address) in _hosts)
            {
                while (host.TryPollTransmit(out var t))
                {
                    moved = true;
                    var payload = t.Payload.ToArray();
                    t.Release();
                    if ((Filter?.Invoke(address, t.Remote, payload) ?? true) && _byAddress.TryGetValue(t.Remote, out var dest))
                    {
                        dest.HandleDatagram(t.Remote, address, payload, Now);
                    }
                }

                while (host.TryPollEvent(out _))
                {
                }
            }
        }
    }

    /// <summary>Advances time in steps of at most <paramref name="step"/>, firing due timers and delivering.</summary>
    public void Run(TimeSpan duration, TimeSpan step)
    {
        var end = Now + duration;
        while (Now < end)
        {
            Now = Now + step > end ? end : Now + step;
            foreach (var (host, _) in _hosts)
            {
                if (host.NextTimeout is { } due && due <= Now)
                {
                    host.HandleTimeout(Now);
                }
            }

            Pump();
        }
    }

    /// <summary>HIP packet type of a UDP-framed HIP packet (RFC 9028 §5.1 marker, then RFC 7401 §5.1 header: the type is its third octet).</summary>
    public static int PacketType(byte[] udp) => udp.Length > 8 && udp[0] == 0 && udp[1] == 0 && udp[2] == 0 && udp[3] == 0 ? udp[6] & 0x7F : -1;
}
