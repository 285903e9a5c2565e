using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Registration;

/// <summary>Our registration for one service at one registrar (client side).</summary>
public sealed class ClientRegistration
{
    internal ClientRegistration(Hit registrar, RegistrationType type)
    {
        Registrar = registrar;
        Type = type;
    }

    public Hit Registrar { get; }

    public RegistrationType Type { get; }

    public RegistrationState State { get; internal set; }

    /// <summary>Lifetime the registrar granted (REG_RESPONSE).</summary>
    public TimeSpan Lifetime { get; internal set; }

    public TimeSpan ExpiresAt { get; internal set; } = TimeSpan.MaxValue;

    /// <summary>When the renewal UPDATE goes out (before expiry).</summary>
    public TimeSpan RenewAt { get; internal set; } = TimeSpan.MaxValue;

    /// <summary>Our transport address as the registrar saw it (REG_FROM, RFC 9028 §4.1).</summary>
    public TransportAddress? ReflexiveAddress { get; internal set; }

    public RegistrationFailureType? Failure { get; internal set; }

    /// <summary>RELAY_UDP_ESP: the relayed transport address the data relay opened for us (RELAYED_ADDRESS).</summary>
    public TransportAddress? RelayedAddress { get; internal set; }

    /// <summary>Permissions we asked the data relay for, refreshed a minute before they lapse.</summary>
    internal List<(TransportAddress Peer, uint Ospi, uint Ispi, TimeSpan RefreshAt)> Permissions { get; } = [];

    /// <summary>The lifetime we ask for.</summary>
    internal TimeSpan RequestedLifetime { get; set; }
}
