using Hipnat.Core.Transport;

namespace Hipnat.Core.Host;

/// <summary>
/// How a received packet reached us through a relay or rendezvous server: <see cref="From"/> is the original
/// sender's transport address (RELAY_FROM / FROM), <see cref="Server"/> the server that forwarded it.
/// </summary>
public readonly record struct RelayedVia(TransportAddress From, TransportAddress Server, bool Rendezvous);
