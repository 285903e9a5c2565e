using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>A registrar granted us a service (REG_RESPONSE); <paramref name="Reflexive"/> is our address as it saw us (REG_FROM).</summary>
public sealed record RegistrationGranted(TimeSpan At, Hit Peer, RegistrationType Type, TimeSpan Lifetime, TransportAddress? Reflexive, TransportAddress? Relayed = null)
    : HipEvent(At, Peer);

/// <summary>A registrar refused a service (REG_FAILED), or it did not offer it.</summary>
public sealed record RegistrationRefused(TimeSpan At, Hit Peer, RegistrationType Type, RegistrationFailureType Failure)
    : HipEvent(At, Peer);

/// <summary>Our registration ran out without renewal, or was cancelled.</summary>
public sealed record RegistrationEnded(TimeSpan At, Hit Peer, RegistrationType Type, bool Cancelled) : HipEvent(At, Peer);

/// <summary>Registrar side: a client registered (or renewed) a service.</summary>
public sealed record ClientRegistered(TimeSpan At, Hit Peer, RegistrationType Type, TimeSpan Lifetime, TransportAddress ClientAddress)
    : HipEvent(At, Peer);

/// <summary>Registrar side: a UDP port was opened (or closed) as a client's relayed address; the runtime binds it.</summary>
public sealed record RelayedPortChanged(TimeSpan At, Hit Peer, TransportAddress Relayed, bool Open) : HipEvent(At, Peer);

/// <summary>Registrar side: a client's registration expired or was cancelled.</summary>
public sealed record ClientUnregistered(TimeSpan At, Hit Peer, RegistrationType Type, bool Cancelled) : HipEvent(At, Peer);
