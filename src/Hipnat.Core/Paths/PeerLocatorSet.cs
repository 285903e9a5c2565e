using Hipnat.Core.Ice;
using Hipnat.Core.Transport;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Paths;

/// <summary>
/// The peer's locators as it announced them, and the addresses it was observed at — the one owner of that state
/// for an association. Every LOCATOR_SET (I2, R2, UPDATE; inside ENCRYPTED or in the clear) goes through
/// <see cref="Apply"/>: known locator types only (RFC 8046 §4), UDP transport locators with a port (RFC 9028 §5.7),
/// lifetime 0 withdraws a locator, at most <see cref="Cap"/> are kept, and an UPDATE's set replaces what the peer
/// announced before (RFC 8046 §5.3). Return-routability probes use <see cref="Locators"/>; ICE uses
/// <see cref="Candidates"/>.
/// </summary>
public sealed class PeerLocatorSet
{
    public PeerLocatorSet(int cap = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cap, 1);
        Cap = cap;
    }

    /// <summary>Most locators (and candidates) kept; more in one LOCATOR_SET are cut and counted.</summary>
    public int Cap { get; }

    /// <summary>Every address of the peer we know: announced locators, observed addresses, its relay's.</summary>
    public List<TransportAddress> Locators { get; } = [];

    /// <summary>The peer's ICE candidates: its announced UDP locators with type and priority, and observed addresses.</summary>
    public List<IceCandidate> Candidates { get; } = [];

    /// <summary>Locators the last <see cref="Apply"/> left out over the cap.</summary>
    public int LastDropped { get; private set; }

    /// <summary>
    /// Applies a LOCATOR_SET. <paramref name="fullSet"/> (an UPDATE announcing a move): locators announced before
    /// and absent now are withdrawn, except those <paramref name="keep"/> protects (the relay that carries the
    /// association). An ESP-format locator (no port of its own) is reached on <paramref name="cameFrom"/>'s port.
    /// </summary>
    public (int Added, int Withdrawn) Apply(LocatorSetParameter set, bool fullSet, TransportAddress cameFrom, Func<TransportAddress, bool>? keep = null)
    {
        ArgumentNullException.ThrowIfNull(set.Locators);
        LastDropped = 0;
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

            if (announced.Count >= Cap)
            {
                LastDropped++;
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
            withdrawn += Candidates.RemoveAll(c => !announced.Exists(x => x.Address == c.Address));
            Locators.RemoveAll(l => !announced.Exists(x => x.Address == l) && keep?.Invoke(l) != true);
        }

        int added = 0;
        foreach (var (t, kind, prio) in announced)
        {
            if (t.Kind == TransportKind.Udp && !Candidates.Exists(c => c.Address == t))
            {
                if (Candidates.Count >= Cap)
                {
                    LastDropped++;
                }
                else
                {
                    Candidates.Add(new IceCandidate(t, t, kind, prio));
                    added++;
                }
            }

            AddLocator(t);
        }

        return (added, withdrawn);
    }

    /// <summary>An address the peer was seen at (a base exchange packet, RELAY_FROM of a relayed one): a
    /// server-reflexive candidate of its own, whatever it announced (RFC 9028 §4.2).</summary>
    public bool AddObserved(TransportAddress observed)
    {
        if (observed.Kind != TransportKind.Udp || Candidates.Exists(c => c.Address == observed) || Candidates.Count >= Cap)
        {
            return false;
        }

        Candidates.Add(new IceCandidate(observed, observed, CandidateKind.ServerReflexive, IcePriority.Compute(CandidateKind.ServerReflexive, 65535)));
        AddLocator(observed);
        return true;
    }

    /// <summary>Adds an address to <see cref="Locators"/> (bounded); true when it is new.</summary>
    public bool AddLocator(TransportAddress address)
    {
        if (Locators.Contains(address) || Locators.Count >= Cap)
        {
            return false;
        }

        Locators.Add(address);
        return true;
    }
}
