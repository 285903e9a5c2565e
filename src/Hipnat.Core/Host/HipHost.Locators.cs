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

    /// <summary>
    /// Applies the peer's locator set to the association. <paramref name="fullSet"/> (an UPDATE): locators the peer
    /// announced before and left out now are withdrawn (RFC 8046 §5.3), except the observed address of a relay that
    /// carries the association. <paramref name="espPort"/> is the port an ESP-format locator (RFC 8046 §4, no port
    /// of its own) is reached on: the port the packet came from. Returns how many locators were new and withdrawn.
    /// </summary>
    private (int Added, int Withdrawn) ApplyPeerLocatorSet(HostAssociation a, LocatorSetParameter set, bool fullSet, TransportAddress cameFrom)
    {
        var announced = new List<(TransportAddress Address, CandidateKind Kind, uint Priority)>();
        foreach (var l in set.Locators)
        {
            if (!l.IsKnownType || l.Lifetime == 0)
            {
                continue; // RFC 8046 §4: unknown types are ignored; lifetime 0 announces a withdrawn locator
            }

            var ip = l.Address.IsIPv4MappedToIPv6 ? l.Address.MapToIPv4() : l.Address;
            TransportAddress t;
            if (l.LocatorType == LocatorType.TransportAddress)
            {
                if (l.Protocol != TransportProtocol.Udp || l.Port == 0)
                {
                    continue;
                }

                t = TransportAddress.Udp(ip, l.Port);
            }
            else
            {
                t = new TransportAddress(ip, cameFrom.Port, cameFrom.Kind);
            }

            if (announced.Exists(x => x.Address == t))
            {
                continue;
            }

            if (announced.Count >= Math.Min(MaxPeerLocators, _options.Ice.MaxRemoteCandidates))
            {
                Counters.IceCandidatesDropped++;
                continue;
            }

            var kind = l.LocatorType == LocatorType.TransportAddress && l.Kind is CandidateKind.Host or CandidateKind.ServerReflexive or CandidateKind.PeerReflexive or CandidateKind.Relayed
                ? l.Kind
                : CandidateKind.Host;
            uint prio = l.Priority != 0 ? l.Priority : IcePriority.Compute(kind, 65535);
            announced.Add((t, kind, prio));
        }

        int withdrawn = 0;
        if (fullSet)
        {
            withdrawn += a.PeerCandidates.RemoveAll(c => !announced.Exists(x => x.Address == c.Address));
            a.PeerLocators.RemoveAll(l => !announced.Exists(x => x.Address == l) && !a.Pairs.Exists(p => p.IsRelayed && p.Peer == l));
        }

        int added = 0;
        foreach (var (t, kind, prio) in announced)
        {
            if (t.Kind == TransportKind.Udp && !a.PeerCandidates.Exists(c => c.Address == t))
            {
                if (a.PeerCandidates.Count >= _options.Ice.MaxRemoteCandidates)
                {
                    Counters.IceCandidatesDropped++;
                }
                else
                {
                    a.PeerCandidates.Add(new IceCandidate(t, t, kind, prio));
                    added++;
                }
            }

            if (!a.PeerLocators.Contains(t) && a.PeerLocators.Count < MaxPeerLocators)
            {
                a.PeerLocators.Add(t);
            }
        }

        return (added, withdrawn);
    }

    /// <summary>The base exchange's LOCATOR_SET (I2 or R2; RFC 9028 §4.3): added to what is known, with the address
    /// the packet was observed from.</summary>
    private void LearnBaseExchangeLocators(HipPacket packet, HostAssociation a, TransportAddress observed, HipCipherId cipher, ReadOnlySpan<byte> key)
    {
        if (!a.PeerLocators.Contains(observed))
        {
            a.PeerLocators.Add(observed);
        }

        if (TryReadPeerLocatorSet(packet, a, cipher, key, out var set))
        {
            ApplyPeerLocatorSet(a, set, fullSet: false, observed);
        }
    }
}
