using System.Collections.Concurrent;
using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.DataPlane.Beet;
using Hipnat.Runtime.DataPlane;
using Hipnat.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>A clock the test moves by hand (for SA grace periods and queue lifetimes).</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ticks = 1_000_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>
/// Two hosts with real HIP cores and data plane engines, wired back to back in process: HIP control packets go from
/// core to core when the test pumps them, ESP goes from engine to engine (queued until <see cref="DeliverEsp"/>, or
/// at once with <see cref="ImmediateEsp"/>), and decrypted packets land in each side's collector instead of a TUN
/// device. The daemon's driver is played by the test thread: events go to <see cref="DataPlaneService.OnEvent"/>,
/// posted work runs in <see cref="Pump"/>.
/// </summary>
internal sealed class DataPlaneTestPair : IDisposable
{
    public static readonly IPNetwork LsiNetwork = IPNetwork.Parse("198.19.0.0/16");

    private static readonly Lazy<HostIdentity> IdentityA = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP256));
    private static readonly Lazy<HostIdentity> IdentityB = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP256));

    public DataPlaneTestPair(ushort[]? espSuites = null, Func<DataPlaneOptions, DataPlaneOptions>? options = null, bool knowEachOther = true)
    {
        Clock = new ManualClock();
        var engineOptions = new DataPlaneOptions { TimeProvider = Clock };
        engineOptions = options?.Invoke(engineOptions) ?? engineOptions;
        A = new Node(this, IdentityA.Value, TransportAddress.Udp(IPAddress.Parse("192.0.2.1"), 10500), espSuites, engineOptions);
        B = new Node(this, IdentityB.Value, TransportAddress.Udp(IPAddress.Parse("192.0.2.2"), 10500), espSuites, engineOptions);
        A.Other = B;
        B.Other = A;
        if (knowEachOther)
        {
            A.Host.AddPeerLocator(B.Hit, B.Address);
            B.Host.AddPeerLocator(A.Hit, A.Address);
            A.Service.OnPeerAdded(B.Hit);
            B.Service.OnPeerAdded(A.Hit);
        }
    }

    public ManualClock Clock { get; }

    /// <summary>The cores' time.</summary>
    public TimeSpan Now { get; private set; } = TimeSpan.FromSeconds(1);

    public Node A { get; }

    public Node B { get; }

    /// <summary>Deliver ESP as soon as it is sent (nothing in flight).</summary>
    public bool ImmediateEsp { get; set; }

    /// <summary>Changes an ESP datagram on its way (return false to lose it).</summary>
    public Func<byte[], bool>? EspFilter { get; set; }

    public void Advance(TimeSpan by)
    {
        Now += by;
        Clock.Advance(by);
    }

    /// <summary>Runs A's base exchange with B to the end (control packets delivered, events handled, ESP delivered).</summary>
    public void Connect()
    {
        A.Host.Connect(B.Hit, Now);
        Pump();
        Assert.True(A.Engine.IsReady(B.Hit), "A has no SA for B");
        Assert.True(B.Engine.IsReady(A.Hit), "B has no SA for A");
    }

    /// <summary>Until nothing moves: posted work, events, control packets; then queued ESP.</summary>
    public void Pump()
    {
        for (int i = 0; i < 1000; i++)
        {
            bool moved = A.RunWork() | B.RunWork();
            moved |= PumpOne();
            if (!moved)
            {
                DeliverEsp();
                if (!(A.RunWork() | B.RunWork()))
                {
                    return;
                }
            }
        }

        Assert.Fail("the pair did not settle");
    }

    /// <summary>Handles pending events on both sides and delivers one HIP control datagram; false when none was queued.</summary>
    public bool PumpOne()
    {
        A.HandleEvents();
        B.HandleEvents();
        foreach (var node in new[] { A, B })
        {
            if (node.Host.TryPollTransmit(out var t))
            {
                try
                {
                    node.Other.Host.HandleDatagram(node.Other.Address, node.Address, t.Payload, Now);
                }
                finally
                {
                    t.Release();
                }

                node.Other.HandleEvents();
                node.HandleEvents();
                return true;
            }
        }

        return false;
    }

    /// <summary>Delivers every queued ESP datagram (in order per direction).</summary>
    public void DeliverEsp()
    {
        A.DeliverQueued();
        B.DeliverQueued();
    }

    /// <summary>Runs the periodic engine work on both sides.</summary>
    public void Tick()
    {
        A.Engine.Tick(null);
        B.Engine.Tick(null);
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }

    internal sealed class Node : IEspSender, IPacketWriter, IDisposable
    {
        private readonly DataPlaneTestPair _pair;
        private readonly Queue<Action> _work = new();
        private readonly Queue<byte[]> _esp = new();
        private readonly byte[] _buffer = new byte[DataPlaneEngine.BufferSize];

        public Node(DataPlaneTestPair pair, HostIdentity identity, TransportAddress address, ushort[]? suites, DataPlaneOptions options)
        {
            _pair = pair;
            Address = address;
            Host = new HipHost(new HipHostOptions
            {
                Identity = identity,
                LocalLocators = [address],
                EspSuites = suites ?? [13, 8, 9],
                R2SentHold = TimeSpan.FromMilliseconds(100),
            });
            Engine = new DataPlaneEngine(Host.LocalHit, new LsiAllocator(LsiNetwork), this, options, NullLogger.Instance);
            Engine.AttachWriter(this);
            Service = new DataPlaneService(Engine, Host, tun: null, "test0", 1400, NullLogger.Instance);
            Service.Start(_work.Enqueue, () => pair.Now);
        }

        public Node Other { get; set; } = null!;

        public HipHost Host { get; }

        public Hit Hit => Host.LocalHit;

        public TransportAddress Address { get; }

        public DataPlaneEngine Engine { get; }

        public DataPlaneService Service { get; }

        /// <summary>Packets the engine wrote towards the local stack.</summary>
        public ConcurrentQueue<byte[]> Received { get; } = new();

        /// <summary>ESP datagrams this node sent, as sent (for replay tests).</summary>
        public List<byte[]> SentEsp { get; } = [];

        public bool RecordEsp { get; set; }

        /// <summary>As a TUN device with offloads: every write starts with a virtio_net_hdr of this length (0: none).</summary>
        public int VnetHeaderLength { get; set; }

        /// <summary>Counts writes without copying (allocation tests).</summary>
        public bool CountOnly { get; set; }

        public long Writes;

        /// <summary>Hands an IP packet to the engine as the TUN reader would.</summary>
        public void Send(byte[] packet)
        {
            packet.CopyTo(_buffer, DataPlaneEngine.Headroom);
            Engine.ProcessOutbound(_buffer, DataPlaneEngine.Headroom, packet.Length);
        }

        public uint LsiOf(Node peer) => Engine.GetLsi(peer.Hit);

        public bool RunWork()
        {
            bool any = false;
            while (_work.TryDequeue(out var work))
            {
                work();
                any = true;
            }

            HandleEvents();
            return any;
        }

        public void HandleEvents()
        {
            while (Host.TryPollEvent(out var ev))
            {
                Service.OnEvent(ev);
            }
        }

        public void DeliverQueued()
        {
            while (_esp.TryDequeue(out var datagram))
            {
                Other.Engine.TryReceive(datagram);
            }
        }

        public EspRoute? CreateRoute(TransportAddress local, TransportAddress remote, bool relayed) => new(local, remote, relayed);

        public bool Send(ReadOnlySpan<byte> datagram, EspRoute route)
        {
            if (route.Remote != Other.Address)
            {
                throw new InvalidOperationException($"ESP to {route.Remote}, expected {Other.Address}");
            }

            if (RecordEsp)
            {
                SentEsp.Add(datagram.ToArray());
            }

            if (_pair.ImmediateEsp && _pair.EspFilter is null)
            {
                Other.Engine.TryReceive(datagram);
                return true;
            }

            var copy = datagram.ToArray();
            if (_pair.EspFilter is { } filter && !filter(copy))
            {
                return true;
            }

            if (_pair.ImmediateEsp)
            {
                Other.Engine.TryReceive(copy);
            }
            else
            {
                _esp.Enqueue(copy);
            }

            return true;
        }

        public int SendBatch(EspRoute route, ReadOnlySpan<EspDatagram> datagrams)
        {
            Batches++;
            foreach (var d in datagrams)
            {
                Send(d.Span, route);
            }

            return datagrams.Length;
        }

        /// <summary>Batches the engine handed over (TUN reader runs).</summary>
        public int Batches { get; private set; }

        public bool TryWrite(ReadOnlySpan<byte> packet)
        {
            Writes++;
            if (!CountOnly)
            {
                Received.Enqueue(packet.ToArray());
            }

            return true;
        }

        public void Dispose() => Service.Dispose();
    }
}
