using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hipnat.Nat.Turn;

namespace Hipnat.Nat.Stun;

/// <summary>
/// A thin, synchronous driver that runs the sans-IO <see cref="StunBindingClient"/> and <see cref="TurnClient"/>
/// on one real UDP socket, for `hipnat netcheck` and for tests against a real server. It owns the only clock
/// (a <see cref="Stopwatch"/>) and the only blocking calls; every call returns by its timeout. Not thread-safe.
/// </summary>
public sealed class StunUdpClient : IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly byte[] _receiveBuffer = new byte[65536];

    /// <summary>Binds a UDP socket to <paramref name="localEndPoint"/> (default 0.0.0.0 on an ephemeral port).</summary>
    public StunUdpClient(IPEndPoint? localEndPoint = null, StunBindingClientOptions? bindingOptions = null)
    {
        localEndPoint ??= new IPEndPoint(IPAddress.Any, 0);
        Socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6 && localEndPoint.Address.Equals(IPAddress.IPv6Any))
        {
            Socket.DualMode = true;
        }

        Socket.Bind(localEndPoint);
        Binding = new StunBindingClient(bindingOptions);
    }

    public Socket Socket { get; }

    /// <summary>The address and port the socket is bound to.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)Socket.LocalEndPoint!;

    /// <summary>The sans-IO Binding client this driver runs.</summary>
    public StunBindingClient Binding { get; }

    /// <summary>Datagrams the socket refused to send (no route, wrong family, ...): they count as lost.</summary>
    public int SendErrors { get; private set; }

    /// <summary>Why the last refused send failed (e.g. <see cref="SocketError.NetworkUnreachable"/>); null when none failed.</summary>
    public SocketError? LastSendError { get; private set; }

    /// <summary>Time since this driver was created: the <c>now</c> handed to the state machines.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>One Binding transaction to <paramref name="server"/>, bounded by <paramref name="timeout"/>.</summary>
    public StunBindingResult Bind(IPEndPoint server, TimeSpan timeout, StunBindingRequest? request = null) =>
        BindAll([server], timeout, request)[0];

    /// <summary>
    /// Binding transactions to all <paramref name="servers"/> in parallel from this one socket (compare the results
    /// with <see cref="StunMappingComparison"/>). Results come back in the order of <paramref name="servers"/>;
    /// those unanswered when <paramref name="timeout"/> runs out end as <see cref="StunBindingOutcome.Timeout"/>.
    /// </summary>
    public IReadOnlyList<StunBindingResult> BindAll(IEnumerable<IPEndPoint> servers, TimeSpan timeout, StunBindingRequest? request = null)
    {
        var list = servers.ToList();
        var ids = list.Select(s => Binding.Start(s, Now, request)).ToList();
        var results = new Dictionary<StunTransactionId, StunBindingResult>();
        var deadline = Now + timeout;
        while (results.Count < ids.Count)
        {
            Flush(Binding);
            while (Binding.TryPollResult(out var result))
            {
                results[result.TransactionId] = result;
            }

            if (results.Count == ids.Count || Now >= deadline)
            {
                break;
            }

            var wait = Min(deadline, Binding.NextTimeout) - Now;
            if (TryReceive(wait, out var from, out var datagram))
            {
                Binding.HandleDatagram(from, datagram, Now);
            }
            else
            {
                Binding.HandleTimeout(Now);
            }
        }

        var elapsed = timeout;
        return ids.Select((id, i) =>
        {
            if (results.TryGetValue(id, out var result))
            {
                return result;
            }

            Binding.Cancel(id);
            return new StunBindingResult(id, list[i], StunBindingOutcome.Timeout, null, null, elapsed, 0);
        }).ToList();
    }

    /// <summary>
    /// Runs <paramref name="client"/> on this socket until an event satisfies <paramref name="until"/> or
    /// <paramref name="timeout"/> passes; returns every event seen. Datagrams the client does not take (a peer
    /// sending to this socket directly, say) go to <paramref name="otherDatagram"/>.
    /// </summary>
    public IReadOnlyList<TurnEvent> Run(TurnClient client, Func<TurnEvent, bool> until, TimeSpan timeout, Action<IPEndPoint, byte[]>? otherDatagram = null)
    {
        var events = new List<TurnEvent>();
        var deadline = Now + timeout;
        while (true)
        {
            Flush(client);
            while (client.TryPollEvent(out var e))
            {
                events.Add(e);
                if (until(e))
                {
                    Flush(client);
                    return events;
                }
            }

            if (Now >= deadline)
            {
                return events;
            }

            var wait = Min(deadline, client.NextTimeout) - Now;
            if (TryReceive(wait, out var from, out var datagram))
            {
                if (!client.HandleDatagram(from, datagram, Now))
                {
                    otherDatagram?.Invoke(from, datagram);
                }
            }
            else
            {
                client.HandleTimeout(Now);
            }
        }
    }

    /// <summary>Sends everything the Binding client has queued.</summary>
    public void Flush(StunBindingClient client)
    {
        while (client.TryPollTransmit(out var t))
        {
            SendTo(t.Destination, t.Payload);
        }
    }

    /// <summary>Sends everything the TURN client has queued.</summary>
    public void Flush(TurnClient client)
    {
        while (client.TryPollTransmit(out var t))
        {
            SendTo(t.Destination, t.Payload);
        }
    }

    /// <summary>Sends one datagram; false when the socket refused it (unreachable network, wrong family): a lost datagram.</summary>
    public bool SendTo(IPEndPoint destination, ReadOnlySpan<byte> payload)
    {
        if (Socket.DualMode && destination.AddressFamily == AddressFamily.InterNetwork)
        {
            destination = new IPEndPoint(destination.Address.MapToIPv6(), destination.Port);
        }

        try
        {
            Socket.SendTo(payload, SocketFlags.None, destination);
            return true;
        }
        catch (SocketException e)
        {
            SendErrors++;
            LastSendError = e.SocketErrorCode;
            return false;
        }
    }

    /// <summary>Waits up to <paramref name="wait"/> for one datagram. ICMP errors reported by the socket count as nothing received.</summary>
    public bool TryReceive(TimeSpan wait, out IPEndPoint from, out byte[] datagram)
    {
        from = new IPEndPoint(IPAddress.Any, 0);
        datagram = [];
        try
        {
            if (!Socket.Poll(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, SelectMode.SelectRead))
            {
                return false;
            }

            EndPoint remote = Socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
            int received = Socket.ReceiveFrom(_receiveBuffer, SocketFlags.None, ref remote);
            var endPoint = (IPEndPoint)remote;
            from = endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
            datagram = _receiveBuffer.AsSpan(0, received).ToArray();
            return true;
        }
        catch (SocketException)
        {
            // e.g. ConnectionReset from an ICMP port unreachable: treat as a lost datagram.
            return false;
        }
    }

    public void Dispose() => Socket.Dispose();

    private TimeSpan Min(TimeSpan deadline, TimeSpan? next) => next is { } n && n < deadline ? n : deadline;
}
