using Hipnat.Core.Transport;
using Hipnat.Wire;

namespace Hipnat.Runtime.Names;

/// <summary>
/// A peer name resolved: its HIT (checked against its Host Identity when it came from DNS) and the locators to send
/// its I1 to — its rendezvous servers' (relays') addresses, or the host's own.
/// </summary>
/// <param name="Name">The name, absolute and in lower case.</param>
/// <param name="Source">Where it came from, for messages: "DNS" or "names file PATH line N".</param>
/// <param name="RendezvousServers">The relays' names from the HIP record, most preferred first.</param>
/// <param name="Expires">When the answer must be fetched again (the smallest TTL of the records used); null: never.</param>
public sealed record ResolvedPeer(
    string Name,
    Hit Hit,
    IReadOnlyList<TransportAddress> Locators,
    string Source,
    IReadOnlyList<string> RendezvousServers,
    TimeSpan? Expires);
