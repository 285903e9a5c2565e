using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Hipnat.Runtime.Metrics;

/// <summary>
/// Collects the instruments of one <see cref="Meter"/> with a <see cref="MeterListener"/> and renders them in the
/// Prometheus text exposition format (version 0.0.4). Names: dots become underscores, counters end in
/// <c>_total</c>, a seconds unit adds <c>_seconds</c> (e.g. <c>hipnat.packets.dropped</c> with tag reason →
/// <c>hipnat_packets_dropped_total{reason="BadMac"}</c>). Observable instruments are read at each
/// <see cref="Collect"/>; plain counters accumulate as they are added to.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly Meter _meter;
    private readonly MeterListener _listener;
    private readonly object _gate = new();
    private readonly List<Series> _series = [];
    private readonly Dictionary<Instrument, Series> _byInstrument = [];

    public PrometheusExporter(Meter meter)
    {
        _meter = meter;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, _meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Reads the observable instruments and renders every series.</summary>
    public string Collect()
    {
        lock (_gate)
        {
            foreach (var s in _series)
            {
                if (s.Instrument.IsObservable)
                {
                    s.Values.Clear();
                }
            }

            _listener.RecordObservableInstruments();
            var sb = new StringBuilder(4096);
            foreach (var s in _series)
            {
                if (s.Values.Count == 0)
                {
                    continue;
                }

                sb.Append("# HELP ").Append(s.Name).Append(' ').Append(EscapeHelp(s.Instrument.Description ?? s.Instrument.Name)).Append('\n');
                sb.Append("# TYPE ").Append(s.Name).Append(' ').Append(s.IsCounter ? "counter" : "gauge").Append('\n');
                foreach (var (labels, value) in s.Values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    sb.Append(s.Name).Append(labels).Append(' ').Append(FormatValue(value)).Append('\n');
                }
            }

            return sb.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>The Prometheus name of an instrument.</summary>
    public static string MetricName(Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        var sb = new StringBuilder(instrument.Name.Length + 8);
        foreach (char c in instrument.Name)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':' ? c : '_');
        }

        var name = sb.ToString();
        if (instrument.Unit == "s" && !name.EndsWith("_seconds", StringComparison.Ordinal))
        {
            name += "_seconds";
        }

        if (IsCounterInstrument(instrument) && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }

        return name;
    }

    private static bool IsCounterInstrument(Instrument instrument)
    {
        var t = instrument.GetType();
        if (!t.IsGenericType)
        {
            return false;
        }

        var d = t.GetGenericTypeDefinition();
        return d == typeof(Counter<>) || d == typeof(ObservableCounter<>);
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        lock (_gate)
        {
            if (!_byInstrument.TryGetValue(instrument, out var series))
            {
                series = new Series(instrument, MetricName(instrument), IsCounterInstrument(instrument));
                _byInstrument[instrument] = series;
                _series.Add(series);
            }

            if (instrument.IsObservable)
            {
                series.Values[labels] = value;
            }
            else
            {
                series.Values[labels] = series.Values.GetValueOrDefault(labels) + value;
            }
        }
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return string.Empty;
        }

        var sorted = tags.ToArray();
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var sb = new StringBuilder("{");
        for (int i = 0; i < sorted.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            sb.Append(sorted[i].Key).Append("=\"");
            foreach (char c in Convert.ToString(sorted[i].Value, CultureInfo.InvariantCulture) ?? string.Empty)
            {
                _ = c switch
                {
                    '\\' => sb.Append("\\\\"),
                    '"' => sb.Append("\\\""),
                    '\n' => sb.Append("\\n"),
                    _ => sb.Append(c),
                };
            }

            sb.Append('"');
        }

        return sb.Append('}').ToString();
    }

    private static string EscapeHelp(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string FormatValue(double v) => v switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(v) => "NaN",
        _ => v.ToString("R", CultureInfo.InvariantCulture),
    };

    private sealed class Series(Instrument instrument, string name, bool isCounter)
    {
        public Instrument Instrument { get; } = instrument;

        public string Name { get; } = name;

        public bool IsCounter { get; } = isCounter;

        public Dictionary<string, double> Values { get; } = [];
    }
}
