using System.Globalization;
using System.Text;
using System.Xml.Linq;

namespace Hipnat.Lab.Tests;

/// <summary>The SVG of <see cref="HandoverPlot"/> on a synthetic ping trace (no root needed).</summary>
public class HandoverPlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void SvgHasOneBarPerNonEmptyBinColouredByItsPath()
    {
        // 10 ms echoes for 3 s; none answered between 1.0 and 1.6 s; direct until 1.0 s, relay from 1.6 s to 2.0 s, direct via nat2 after.
        var trace = Synthetic(seconds: 3, silentFrom: 1.0, silentTo: 1.6, out var start);
        var plot = new HandoverPlot(trace, "alice moves <nat1 → nat2> & keeps pinging")
            .AddPath("direct via nat1", start, start.AddSeconds(1.0))
            .AddPath("relay", start.AddSeconds(1.0), start.AddSeconds(2.0))
            .AddPath("direct via nat2", start.AddSeconds(2.0), start.AddSeconds(3.1));

        var document = XDocument.Parse(plot.ToSvg());

        var bars = document.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
        var bins = trace.RepliesPerBin();
        Assert.Equal(bins.Count(b => b > 0), bars.Count);
        Assert.Equal(24, bars.Count); // 30 bins, 6 silent
        foreach (var bar in bars)
        {
            var bin = int.Parse(bar.Attribute("data-bin")!.Value, CultureInfo.InvariantCulture);
            var expected = bin < 10 ? "direct via nat1" : bin < 20 ? "relay" : "direct via nat2";
            Assert.Equal(expected, bar.Attribute("data-path")!.Value);
            Assert.Equal(plot.ColourOf(expected), bar.Attribute("fill")!.Value);
            Assert.Equal(bins[bin].ToString(CultureInfo.InvariantCulture), bar.Attribute("data-replies")!.Value);
        }

        Assert.Equal(3, bars.Select(b => b.Attribute("fill")!.Value).Distinct().Count());
        Assert.Equal("alice moves <nat1 → nat2> & keeps pinging", document.Descendants(Svg + "text").Single(t => (string?)t.Attribute("class") == "title").Value);
    }

    [Fact]
    public void MarksBecomeVerticalLinesAndUncoveredBinsAreGrey()
    {
        var trace = Synthetic(seconds: 2, silentFrom: 0.5, silentTo: 0.8, out var start, [new PingMark("uplink down", DateTimeOffset.MinValue), new PingMark("new address up", DateTimeOffset.MinValue)]);
        var plot = new HandoverPlot(trace, "marks").AddPath("direct", start, start.AddSeconds(0.5));

        var document = XDocument.Parse(plot.ToSvg());

        var marks = document.Descendants(Svg + "line").Where(l => (string?)l.Attribute("class") == "mark").ToList();
        Assert.Equal(2, marks.Count);
        Assert.All(marks, m => Assert.Equal(m.Attribute("x1")!.Value, m.Attribute("x2")!.Value));
        Assert.Contains(document.Descendants(Svg + "text"), t => t.Value == "uplink down");
        var bars = document.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
        Assert.Contains(bars, b => b.Attribute("fill")!.Value == HandoverPlot.UnlabelledColour);
        Assert.Contains(document.Descendants(Svg + "text"), t => t.Value == "no path given");
        Assert.Contains(document.Descendants(Svg + "text"), t => t.Value == "time (s)");
        Assert.Contains(document.Descendants(Svg + "text"), t => t.Value == "replies per 100 ms");
        Assert.Contains(document.Descendants(Svg + "text"), t => t.Value == "full rate (10)");
    }

    /// <summary>ping -D output of 10 ms echoes with no replies in [silentFrom, silentTo); marks (if any) placed at silentFrom and silentTo.</summary>
    private static PingTrace Synthetic(double seconds, double silentFrom, double silentTo, out DateTimeOffset start, PingMark[]? marks = null)
    {
        var epoch = DateTimeOffset.FromUnixTimeSeconds(1_796_610_000);
        start = epoch;
        var text = new StringBuilder("PING 198.51.100.20 (198.51.100.20) 56(84) bytes of data.\n");
        var count = (int)(seconds * 100);
        for (var seq = 1; seq <= count; seq++)
        {
            var t = (seq - 1) * 0.01 + 0.005;
            if (t >= silentFrom && t < silentTo)
            {
                continue;
            }

            text.Append(CultureInfo.InvariantCulture, $"[{1_796_610_000 + t:0.000000}] 64 bytes from 198.51.100.20: icmp_seq={seq} ttl=64 time=0.05 ms\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"--- 198.51.100.20 ping statistics ---\n{count} packets transmitted, {count - (int)Math.Round((silentTo - silentFrom) * 100)} received\n");
        var placed = marks?.Select((m, i) => m with { At = epoch.AddSeconds(i == 0 ? silentFrom : silentTo) }).ToArray();
        return PingTrace.Parse(text.ToString(), placed);
    }
}
