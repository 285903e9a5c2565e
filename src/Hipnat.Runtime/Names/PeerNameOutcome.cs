namespace Hipnat.Runtime.Names;

/// <summary>What a name turned out to be for the local DNS responder.</summary>
public enum PeerNameOutcome
{
    /// <summary>A HIP peer, registered with the daemon: answered with its HIT (AAAA) and LSI (A).</summary>
    Peer,

    /// <summary>Not a HIP peer (no HIP record, no such name, this host's own name): the query is forwarded.</summary>
    NotPeer,

    /// <summary>A HIP peer that must not be answered (a record whose HIT is not its key's, no locator, a DNS failure): SERVFAIL.</summary>
    Refused,
}
