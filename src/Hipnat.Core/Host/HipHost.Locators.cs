using Hipnat.Core.Association;
using Hipnat.Core.Ice;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>
/// The one place where a received LOCATOR_SET becomes peer state, whichever packet carried it (I2, R2, UPDATE):
/// the peer's locators (<see cref="HostAssociation.PeerLocators"/>, used for return-routability probes) and its ICE
/// candidates (<see cref="HostAssociation.PeerCandidates"/>) follow the same rules — known locator types only, UDP
/// transport locators with a port, lifetime 0 means withdrawn, a bound on how many are kept — and an UPDATE's set
/// replaces what the peer announced before (RFC 8046 §5.3 full-set semantics).
/// </summary>
public sealed partial class HipHost
{
    /// <summary>Bound on locators kept per peer (a LOCATOR_SET with hundreds of entries is cut, not trusted).</summary>
    private const int MaxPeerLocators = 32;

    /// <summary>A peer's locator set bounded by <see cref="MaxPeerLocators"/> and the ICE policy's remote candidates.</summary>
    private Paths.PeerLocatorSet NewPeerLocatorSet() => new(Math.Min(MaxPeerLocators, _options.Ice.MaxRemoteCandidates));

    /// <summary>
    /// The LOCATOR_SET of an authenticated packet: inside ENCRYPTED (RFC 9028 §4.3, the form hipnat sends) or in the
    /// clear (RFC 8046 §4, the form of RFC 8046 implementations); both are accepted, the encrypted one first.
    /// </summary>
    private bool TryReadPeerLocatorSet(HipPacket packet, HostAssociation a, HipCipherId cipher, ReadOnlySpan<byte> key, out LocatorSetParameter set)
    {
        if (packet.Has(ParameterType.Encrypted) && TryDecryptParameters(packet, cipher, key, out var plain, out _)
            && TryFindTlv(plain, ParameterType.LocatorSet, out var contents))
        {
            try
            {
                set = LocatorSetParameter.Read(contents.Span);
                return true;
            }
            catch (HipFormatException e)
            {
                Drop(DropReason.Malformed, $"encrypted LOCATOR_SET of {a.PeerHit}: {e.Message}");
            }
        }

        return packet.TryGet(out set);
    }

    /// <summary>Applies the peer's locator set (its one owner is <see cref="Paths.PeerLocatorSet"/>); the relay pair's
    /// address is never withdrawn; locators over the bound are counted.</summary>
    private (int Added, int Withdrawn) ApplyPeerLocatorSet(HostAssociation a, LocatorSetParameter set, bool fullSet, TransportAddress cameFrom)
    {
        var result = a.Peer.Apply(set, fullSet, cameFrom, l => a.Paths.IsRelayAddress(l));
        Counters.IceCandidatesDropped += a.Peer.LastDropped;
        return result;
    }

    /// <summary>The base exchange's LOCATOR_SET (I2 or R2; RFC 9028 §4.3): added to what is known, with the address
    /// the packet was observed from.</summary>
    private void LearnBaseExchangeLocators(HipPacket packet, HostAssociation a, TransportAddress observed, HipCipherId cipher, ReadOnlySpan<byte> key)
    {
        a.Peer.AddLocator(observed);
        if (TryReadPeerLocatorSet(packet, a, cipher, key, out var set))
        {
            ApplyPeerLocatorSet(a, set, fullSet: false, observed);
        }
    }
}
