using System.Globalization;
using System.Security;
using System.Text;

namespace Hipnat.Lab;

/// <summary>
/// An SVG bar chart of a <see cref="PingTrace"/>: replies per 100 ms over time (the full rate of 10 ms pings is 10),
/// each bar coloured by the path that carried most of its replies (<see cref="AddPath"/>), vertical lines at the
/// trace's marks, axis labels, a legend and a title. Hand-written SVG, no dependencies; open it in a browser.
/// </summary>
public sealed class HandoverPlot
{
    /// <summary>The colour of bars whose replies fall in no given path.</summary>
    public const string UnlabelledColour = "#9e9e9e";

    private const double Width = 960;
    private const double Height = 460;
    private const double Left = 64;
    private const double Right = 24;
    private const double Top = 48;
    private const double Bottom = 110;
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
    private readonly List<HandoverPath> paths = [];

    /// <summary>A plot of <paramref name="trace"/> titled <paramref name="title"/>.</summary>
    public HandoverPlot(PingTrace trace, string title)
    {
        ArgumentNullException.ThrowIfNull(trace);
        Trace = trace;
        Title = title ?? string.Empty;
    }

    /// <summary>The ping run plotted.</summary>
    public PingTrace Trace { get; }

    /// <summary>The title above the chart.</summary>
    public string Title { get; }

    /// <summary>The width of one bar (default 100 ms).</summary>
    public TimeSpan BinWidth { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The path ranges given so far, in order.</summary>
    public IReadOnlyList<HandoverPath> Paths => paths;

    /// <summary>The distinct path labels in the order first given.</summary>
    public IReadOnlyList<string> Labels => paths.Select(p => p.Label).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Says that <paramref name="label"/> carried the traffic from <paramref name="from"/> to <paramref name="to"/>; the first range given wins where ranges overlap.</summary>
    public HandoverPlot AddPath(string label, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        if (to < from)
        {
            throw new ArgumentException("a path range ends after it starts", nameof(to));
        }

        paths.Add(new HandoverPath(label, from, to));
        return this;
    }

    /// <summary>The bar colour of <paramref name="label"/> (null: <see cref="UnlabelledColour"/>).</summary>
    public string ColourOf(string? label)
    {
        if (label is null)
        {
            return UnlabelledColour;
        }

        var index = Labels.ToList().IndexOf(label);
        return index < 0 ? UnlabelledColour : Palette[index % Palette.Length];
    }

    /// <summary>The path that carried most replies of each bin (null: none given, or an empty bin), bin by bin.</summary>
    public IReadOnlyList<string?> BinLabels()
    {
        var bins = Trace.RepliesPerBin(BinWidth);
        var counts = new Dictionary<string, int>[bins.Count];
        foreach (var reply in Trace.Replies.Where(r => r.ReceivedAt >= Trace.Start))
        {
            var index = Math.Min(bins.Count - 1, (int)((reply.ReceivedAt - Trace.Start) / BinWidth));
            var label = paths.FirstOrDefault(p => p.Contains(reply.ReceivedAt)).Label ?? string.Empty;
            counts[index] ??= new Dictionary<string, int>(StringComparer.Ordinal);
            counts[index][label] = counts[index].GetValueOrDefault(label) + 1;
        }

        return counts.Select(c => c is null ? null : c.OrderByDescending(kv => kv.Value).First().Key is { Length: > 0 } top ? top : null).ToList();
    }

    /// <summary>The SVG document.</summary>
    public string ToSvg()
    {
        var bins = Trace.RepliesPerBin(BinWidth);
        var labels = BinLabels();
        var fullRate = Trace.FullRatePerBin(BinWidth);
        var yMax = Math.Max(fullRate, bins.Count > 0 ? bins.Max() : 0);
        var yStep = yMax <= 20 ? 2 : yMax <= 50 ? 5 : Math.Ceiling(yMax / 10);
        yMax = Math.Ceiling(yMax / yStep) * yStep;
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var seconds = bins.Count * BinWidth.TotalSeconds;
        double X(double s) => Left + (s / seconds * plotWidth);
        double Y(double v) => Top + plotHeight - (v / yMax * plotHeight);

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text class=\"title\" x=\"{Width / 2}\" y=\"28\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">{Escape(Title)}</text>\n"));

        // Grid and y axis.
        for (var v = 0.0; v <= yMax + 1e-9; v += yStep)
        {
            svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{Y(v):0.##}\" x2=\"{Left + plotWidth}\" y2=\"{Y(v):0.##}\" stroke=\"#e0e0e0\"/>\n"));
            svg.Append(Invariant($"<text x=\"{Left - 6}\" y=\"{Y(v) + 4:0.##}\" text-anchor=\"end\">{v:0.##}</text>\n"));
        }

        svg.Append(Invariant($"<line class=\"full-rate\" x1=\"{Left}\" y1=\"{Y(fullRate):0.##}\" x2=\"{Left + plotWidth}\" y2=\"{Y(fullRate):0.##}\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>\n"));
        svg.Append(Invariant($"<text x=\"{Left + plotWidth - 4}\" y=\"{Y(fullRate) - 4:0.##}\" text-anchor=\"end\" fill=\"#555\">full rate ({fullRate:0.##})</text>\n"));

        // Bars: one per non-empty bin.
        var barWidth = plotWidth / Math.Max(1, bins.Count);
        for (var i = 0; i < bins.Count; i++)
        {
            if (bins[i] == 0)
            {
                continue;
            }

            var x = Left + (i * barWidth);
            svg.Append(Invariant(
                $"<rect class=\"bar\" data-bin=\"{i}\" data-replies=\"{bins[i]}\" data-path=\"{Escape(labels[i] ?? string.Empty)}\" x=\"{x + (barWidth * 0.05):0.###}\" y=\"{Y(bins[i]):0.###}\" width=\"{barWidth * 0.9:0.###}\" height=\"{Top + plotHeight - Y(bins[i]):0.###}\" fill=\"{ColourOf(labels[i])}\"/>\n"));
        }

        // Axes and x ticks.
        svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotHeight}\" stroke=\"black\"/>\n"));
        svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{Top + plotHeight}\" x2=\"{Left + plotWidth}\" y2=\"{Top + plotHeight}\" stroke=\"black\"/>\n"));
        var xStep = new[] { 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300 }.FirstOrDefault(s => seconds / s <= 15, 600);
        for (var s = 0.0; s <= seconds + 1e-9; s += xStep)
        {
            svg.Append(Invariant($"<line x1=\"{X(s):0.##}\" y1=\"{Top + plotHeight}\" x2=\"{X(s):0.##}\" y2=\"{Top + plotHeight + 5}\" stroke=\"black\"/>\n"));
            svg.Append(Invariant($"<text x=\"{X(s):0.##}\" y=\"{Top + plotHeight + 18}\" text-anchor=\"middle\">{s:0.##}</text>\n"));
        }

        svg.Append(Invariant($"<text x=\"{Left + (plotWidth / 2)}\" y=\"{Top + plotHeight + 38}\" text-anchor=\"middle\">time (s)</text>\n"));
        svg.Append(Invariant($"<text x=\"18\" y=\"{Top + (plotHeight / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {Top + (plotHeight / 2)})\">replies per {BinWidth.TotalMilliseconds:0} ms</text>\n"));

        // Marks.
        foreach (var mark in Trace.Marks)
        {
            var s = (mark.At - Trace.Start).TotalSeconds;
            if (s < 0 || s > seconds)
            {
                continue;
            }

            svg.Append(Invariant($"<line class=\"mark\" x1=\"{X(s):0.##}\" y1=\"{Top}\" x2=\"{X(s):0.##}\" y2=\"{Top + plotHeight}\" stroke=\"#c00\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n"));
            svg.Append(Invariant($"<text x=\"{X(s) + 4:0.##}\" y=\"{Top + 4}\" fill=\"#c00\" font-size=\"11\" transform=\"rotate(90 {X(s) + 4:0.##} {Top + 4})\">{Escape(mark.Label)}</text>\n"));
        }

        // Legend.
        var entries = Labels.Select(l => (Label: l, Colour: ColourOf(l))).ToList();
        if (labels.Where((l, i) => l is null && bins[i] > 0).Any())
        {
            entries.Add(("no path given", UnlabelledColour));
        }

        var legendX = Left;
        var legendY = Height - 34;
        foreach (var (label, colour) in entries)
        {
            svg.Append(Invariant($"<rect class=\"legend\" x=\"{legendX}\" y=\"{legendY - 10}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\n"));
            svg.Append(Invariant($"<text x=\"{legendX + 18}\" y=\"{legendY}\">{Escape(label)}</text>\n"));
            legendX += 36 + (label.Length * 7);
        }

        if (Trace.Marks.Count > 0)
        {
            svg.Append(Invariant($"<line x1=\"{legendX}\" y1=\"{legendY - 10}\" x2=\"{legendX}\" y2=\"{legendY + 2}\" stroke=\"#c00\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n"));
            svg.Append(Invariant($"<text x=\"{legendX + 8}\" y=\"{legendY}\">event</text>\n"));
        }

        var summary = $"{Trace.Sent} sent, {Trace.Replies.Count} replies, {Trace.Lost} lost, longest gap {Trace.LongestGap?.Duration.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) ?? "-"} ms";
        svg.Append(Invariant($"<text class=\"summary\" x=\"{Left}\" y=\"{Height - 10}\" fill=\"#333\">{Escape(summary)}</text>\n"));
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Writes the SVG to <paramref name="path"/>.</summary>
    public void Save(string path) => File.WriteAllText(path, ToSvg());

    private static string Escape(string text) => SecurityElement.Escape(text) ?? string.Empty;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
