using System.Net;
using Hipnat.Core.Host;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Transports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>A <see cref="HipDaemon"/> with a real core and a UDP transport on 127.0.0.1, in this process.</summary>
public sealed class InProcessDaemon : IDisposable
{
    private readonly HostIdentity _identity;

    public InProcessDaemon(Func<HostIdentity, HipHostOptions>? options = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        _identity = HostIdentity.Generate(HostIdentityKind.EcdsaP256);
        Address = TransportAddress.Udp(IPAddress.Loopback, (ushort)Ports.FreeUdpPort());
        Transport = new UdpTransport([Address], NullLogger.Instance);
        var o = options?.Invoke(_identity) ?? new HipHostOptions
        {
            Identity = _identity,
            LocalLocators = [Address],
            R2SentHold = TimeSpan.FromMilliseconds(100),
            RetransmitInitial = TimeSpan.FromMilliseconds(200),
        };
        Daemon = new HipDaemon(new HipHost(o), [Transport], logger ?? NullLogger.Instance, _identity.Kind.ToString());
    }

    public HipDaemon Daemon { get; }

    public UdpTransport Transport { get; }

    public TransportAddress Address { get; }

    public string Hit => Daemon.LocalHit.ToString();

    public Task<ControlResponse> RequestAsync(ControlRequest request) =>
        Daemon.HandleAsync(request, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

    public async Task<StatusReport> StatusAsync()
    {
        var r = await RequestAsync(new ControlRequest { Command = ControlRequest.Status });
        Assert.True(r.Ok, r.Error);
        return r.Status!;
    }

    public void Dispose()
    {
        Daemon.Dispose();
        _identity.Dispose();
    }
}
