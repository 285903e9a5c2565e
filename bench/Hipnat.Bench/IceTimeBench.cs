using System.Globalization;
using Hipnat.Simulator;

namespace Hipnat.Bench;

/// <summary>
/// Time from the first I1 to the selected direct pair, and from base-exchange completion to it, between two hosts
/// behind port-restricted-cone (endpoint-independent mapping, address-and-port-dependent filtering) NATs with 50 ms
/// one way per NAT hop, a relay on the public side, the hosts' default ICE options and pacing — compared with the
/// protocol's round-trip lower bound.
/// </summary>
internal static class IceTimeBench
{
    public static int Run(string[] args)
    {
        int seeds = ScaleBench.Arg(args, "--seeds", 50);
        int traceSeed = ScaleBench.Arg(args, "--trace", 0);
        int jitterMs = ScaleBench.Arg(args, "--jitter-ms", 0);
        var links = IceLinks.FiftyPerNat with { Jitter = TimeSpan.FromMilliseconds(jitterMs) };
        var nat = NatBehavior.PortRestrictedCone;
        if (traceSeed > 0)
        {
            var t = IceScenario.Run(nat, nat, traceSeed, links, TimeSpan.FromSeconds(10), trace: true, debugLog: true);
            Console.WriteLine(t.Trace);
            foreach (var l in t.Log)
            {
                Console.WriteLine(l);
            }

            Console.WriteLine($"I1 {t.I1At}, BEX {t.BexAt}, selected {t.SelectedAt}, direct {t.Direct}");
            return 0;
        }

        var fromI1 = new List<double>();
        var fromBex = new List<double>();
        var bexTimes = new List<double>();
        var toFirstCheck = new List<double>();
        var checkRtt = new List<double>();
        var successToSelected = new List<double>();
        var bSelectedFromBex = new List<double>();
        var checks = new List<double>();
        int direct = 0, bexFailed = 0, bexFailedR2 = 0;
        for (int s = 1; s <= seeds; s++)
        {
            var o = IceScenario.Run(nat, nat, s, links, TimeSpan.FromSeconds(10), stopWhenSelected: true);
            if (o.BexAt is null)
            {
                bexFailed++;
                bexFailedR2 += o.FilteredFromRelayedPortBeforeBex > 0 ? 1 : 0;
            }
            if (o.Direct && o.SelectedAt is { } sel && o.BexAt is { } bex && o.PairA is { } p)
            {
                direct++;
                fromI1.Add((sel - o.I1At).TotalMilliseconds);
                fromBex.Add((sel - bex).TotalMilliseconds);
                bexTimes.Add((bex - o.I1At).TotalMilliseconds);
                toFirstCheck.Add((p.FirstSentAt - bex).TotalMilliseconds);
                checkRtt.Add((p.SucceededAt - p.FirstSentAt).TotalMilliseconds);
                successToSelected.Add((sel - p.SucceededAt).TotalMilliseconds);
                if (o.SelectedAtB is { } sb)
                {
                    bSelectedFromBex.Add((sb - bex).TotalMilliseconds);
                }

                checks.Add(o.ChecksAtSelection);
            }
        }

        // Lower bound: the relayed base exchange is two round trips over the relay path (I1 -> relay -> B,
        // R1 back, I2, R2 back); then the controlling side needs one check round trip on the direct path and one
        // nomination round trip on it. One-way delays follow from the link settings.
        double natMs = links.NatDelay.TotalMilliseconds;
        double lan = links.LanDelay.TotalMilliseconds;
        double pub = links.PublicDelay.TotalMilliseconds;
        double relayOneWay = (lan + natMs + pub) + (pub + natMs + lan); // A -> NAT A -> relay, relay -> NAT B -> B
        double directOneWay = lan + natMs + natMs + lan;                // A -> NAT A -> NAT B -> B
        double bexBound = 4 * relayOneWay;
        double iceBound = 2 * (2 * directOneWay);

        var inv = CultureInfo.InvariantCulture;
        string F(List<double> v) => v.Count == 0 ? "–" : string.Create(inv, $"median {Stats.Median(v):0} ms (min {v.Min():0}, max {v.Max():0})");
        Console.WriteLine($"links: {links.Describe()}; NATs EIM/APDF (port-restricted cone) on both sides; Ta 50 ms; IceOptions defaults");
        Console.WriteLine($"runs: {seeds} seeds, {direct} selected a direct pair; {bexFailed} never completed the base exchange ({bexFailedR2} with B's R2 filtered at A's NAT after the relay sent it from B's relayed port)");
        Console.WriteLine($"first I1 -> selected direct pair (A's nomination answered): {F(fromI1)}; lower bound {bexBound + iceBound:0} ms");
        Console.WriteLine($"BEX complete (R2 at A) -> selected:                        {F(fromBex)}; lower bound {iceBound:0} ms");
        Console.WriteLine($"  first I1 -> BEX complete:                                {F(bexTimes)}; lower bound {bexBound:0} ms");
        Console.WriteLine($"  BEX -> first check on the selected pair (pacing):        {F(toFirstCheck)}");
        Console.WriteLine($"  that check's round trip:                                 {F(checkRtt)}; direct RTT {2 * directOneWay:0} ms");
        Console.WriteLine($"  check answered -> nomination answered:                   {F(successToSelected)}; nomination RTT {2 * directOneWay:0} ms");
        Console.WriteLine($"  BEX -> B (controlled) selected:                          {F(bSelectedFromBex)}");
        Console.WriteLine($"checks sent by both sides up to the selection:             {F(checks).Replace(" ms", string.Empty, StringComparison.Ordinal)}");
        return direct == seeds ? 0 : 1;
    }
}

internal static class Stats
{
    public static double Median(List<double> v)
    {
        if (v.Count == 0)
        {
            return double.NaN;
        }

        var s = v.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[(s.Count / 2) - 1] + s[s.Count / 2]) / 2;
    }
}
