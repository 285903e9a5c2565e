namespace Hipnat.Runtime.Names;

/// <summary>
/// Looks a name up for the local DNS responder. A <see cref="PeerNameOutcome.Peer"/> answer is given only once the
/// peer is known to the daemon — its HIT checked against its Host Identity (RFC 8005 §4.1) and its locators or
/// relays added — so that the first packet to the HIT or LSI starts a base exchange to the right place.
/// </summary>
public interface IPeerNames
{
    /// <summary>Looks up <paramref name="name"/> (absolute, lower case). Never throws for a name that cannot be resolved.</summary>
    Task<PeerNameAnswer> LookupAsync(string name, CancellationToken cancellationToken);
}
