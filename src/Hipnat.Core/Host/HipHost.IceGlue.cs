using Hipnat.Core.Association;
using Hipnat.Core.Ice;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

public sealed partial class HipHost
{
    /// <summary>The wire side of one association's <see cref="IceAgent"/>: its checks become UPDATEs or STUN
    /// requests, its selection the active path, its outcomes events, counters and log lines.</summary>
    private sealed class IceGlue(HipHost host, HostAssociation a) : IIceTransport
    {
        public void SendCheck(CandidatePair pair, bool nominate, bool fresh, TimeSpan now)
        {
            if (a.Ice is { } ice)
            {
                host.SendCheck(a, ice, pair, nominate, fresh, now);
            }
        }

        public bool CanRoute(CandidatePair pair) => host.TryRouteFor(pair, out _, out _, out _);

        public void Selected(CandidatePair pair, string reason, TimeSpan now) => host.ActivateIcePair(a, pair, reason, now);

        public void PairWorks(CandidatePair pair, TimeSpan now)
        {
            Trace($"{pair} works, rtt {pair.Rtt.TotalMilliseconds:F1} ms, mapped {pair.Mapped}");
            if (!pair.IsRelayed && !IsWildcardAddress(pair.Local.Base.Address))
            {
                host.NoteVerifiedPair(a, pair.Local.Base, pair.Remote.Address, pair.Rtt, now);
                host.Raise(new PairVerified(now, a.PeerHit, pair.Local.Base, pair.Remote.Address));
                host.CheckMultihoming(a, now); // a path from a further interface may want its SA pair (RFC 8047 §4.2.4)
            }
            else if (pair.IsRelayed && host.TryRouteFor(pair, out var from, out var to, out var relayTo))
            {
                // Through a data relay (RFC 9028 §4.12): a standby behind the direct ones — for a host whose traffic
                // runs through the relay, its other uplink's pair to the relay is the hot backup (draft §3.2.1).
                host.NoteVerifiedPair(a, from, to, pair.Rtt, now, relayTo, viaDataRelay: true);
            }
        }

        public void Concluded(CandidatePair? pair, TimeSpan now)
        {
            if (a.Ice is { } ice)
            {
                host.Raise(new IceCompleted(now, a.PeerHit, pair?.ToString() ?? string.Empty, ice.CheckList.ChecksSent, now - ice.StartedAt, pair?.IsRelayed ?? false));
                host.CheckMultihoming(a, now); // paths from further interfaces are checked on (RFC 8047 §4.2.4)
            }
        }

        public void ChecksFailed(TimeSpan now)
        {
            host.Counters.IceFailures++;
            host.SendNotify(a, NotifyMessageType.ConnectivityChecksFailed, now);
            host.Raise(new IceChecksFailed(now, a.PeerHit, a.Ice?.CheckList.ChecksSent ?? 0));
            Trace("every candidate pair failed; staying on the base exchange's path");
        }

        public void DirectRetry(int pairs)
        {
            host.Counters.IceDirectRetries++;
            if (a.Ice is { } ice)
            {
                Trace($"checking {pairs} failed direct pairs again (try {ice.DirectRetries}; next in {ice.DirectRetryInterval.TotalSeconds:F0} s if they fail)");
            }
        }

        public void Trace(string message) => host.DebugLog?.Invoke($"ICE with {a.PeerHit}: {message}");
    }
}
