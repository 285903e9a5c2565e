using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Hipnat.Core.Host;
using Hipnat.Runtime.Control;
using Hipnat.Runtime.Metrics;
using Hipnat.Runtime.Tests.Support;
using Hipnat.Wire.Parameters;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipnat.Runtime.Tests;

/// <summary>The "hipnat" meter, its Prometheus rendering and the HTTP endpoint.</summary>
public sealed class MetricsTests
{
    [Fact]
    public void TheExporterRendersObservableAndPlainInstrumentsInPrometheusFormat()
    {
        using var metrics = new DaemonMetrics();
        using var exporter = new PrometheusExporter(metrics.Meter);
        var drops = new long[MetricsSnapshot.DropReasons.Length];
        drops[(int)DropReason.NotForUs] = 3;
        metrics.Update(new MetricsSnapshot { PacketsIn = 10, PacketsOut = 7, Drops = drops, RelayedControl = 4, EspRelayedBytes = 1400, UptimeSeconds = 1.5, PuzzleDifficulty = 5, I2Received = 41, I2DhComputations = 38 });
        metrics.RegistrationEvent("server", "granted", RegistrationType.RelayUdpHip);
        metrics.RegistrationEvent("server", "granted", RegistrationType.RelayUdpHip);

        var text = exporter.Collect();
        Assert.Contains("# TYPE hipnat_packets_received_total counter\nhipnat_packets_received_total 10\n", text, StringComparison.Ordinal);
        Assert.Contains("hipnat_packets_sent_total 7\n", text, StringComparison.Ordinal);
        Assert.Contains("hipnat_packets_dropped_total{reason=\"NotForUs\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("hipnat_packets_dropped_total{reason=\"BadMac\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("hipnat_relay_control_packets_total 4\n", text, StringComparison.Ordinal);
        Assert.Contains("hipnat_relay_esp_bytes_total 1400\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE hipnat_uptime_seconds gauge\nhipnat_uptime_seconds 1.5\n", text, StringComparison.Ordinal);
        Assert.Contains("hipnat_puzzle_difficulty 5\n", text, StringComparison.Ordinal);
        Assert.Contains("hipnat_i2_received_total 41\n", text, StringComparison.Ordinal);
        Assert.Contains("hipnat_i2_dh_computations_total 38\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE hipnat_associations gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("hipnat_associations{state=\"ESTABLISHED\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("hipnat_registration_events_total{event=\"granted\",role=\"server\",service=\"relay-hip\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("# HELP hipnat_keepalives_sent_total NAT keepalives sent", text, StringComparison.Ordinal);

        // Observable values follow the snapshot; plain counters keep accumulating.
        metrics.Update(new MetricsSnapshot { PacketsIn = 12 });
        metrics.RegistrationEvent("server", "granted", RegistrationType.RelayUdpHip);
        var next = exporter.Collect();
        Assert.Contains("hipnat_packets_received_total 12\n", next, StringComparison.Ordinal);
        Assert.Contains("hipnat_registration_events_total{event=\"granted\",role=\"server\",service=\"relay-hip\"} 3\n", next, StringComparison.Ordinal);

        // Every sample line is NAME{labels} VALUE with a legal metric name.
        foreach (var line in next.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
        {
            Assert.Matches(@"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+=""[^""]*""(,[a-z_]+=""[^""]*"")*\})? -?[0-9.e+E-]+$", line);
        }
    }

    [Fact]
    public void TwoDaemonsInOneProcessDoNotShareNumbers()
    {
        using var a = new DaemonMetrics();
        using var b = new DaemonMetrics();
        using var exportA = new PrometheusExporter(a.Meter);
        a.Update(new MetricsSnapshot { PacketsIn = 1 });
        b.Update(new MetricsSnapshot { PacketsIn = 99 });
        b.RegistrationEvent("client", "refused", RegistrationType.RelayUdpHip);
        var text = exportA.Collect();
        Assert.Contains("hipnat_packets_received_total 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("refused", text, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelValuesAreEscaped()
    {
        using var meter = new Meter("hipnat");
        using var exporter = new PrometheusExporter(meter);
        var c = meter.CreateCounter<long>("test.escapes");
        c.Add(1, new KeyValuePair<string, object?>("v", "a\"b\\c\nd"));
        Assert.Contains("test_escapes_total{v=\"a\\\"b\\\\c\\nd\"} 1\n", exporter.Collect(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheEndpointServesGetAndHeadOfMetricsOnlyAndReadsTheDaemon()
    {
        using var d = new InProcessDaemon();
        using var exporter = new PrometheusExporter(d.Daemon.Metrics.Meter);
        d.Daemon.Start();
        using var server = new MetricsServer(
            new IPEndPoint(IPAddress.Loopback, 0),
            async ct =>
            {
                await d.Daemon.RefreshMetricsAsync(TimeSpan.FromSeconds(2), ct);
                return exporter.Collect();
            },
            NullLogger.Instance);
        server.Start();
        int port = server.LocalEndpoint.Port;
        Assert.Equal($"http://127.0.0.1:{port}/metrics", server.Url);

        var first = await RawAsync(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", first, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n", first, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", first, StringComparison.Ordinal);
        Assert.Contains("\nhipnat_packets_received_total 0\n", first, StringComparison.Ordinal);

        // Traffic moves the numbers: a garbage datagram is received and dropped.
        using (var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            s.SendTo(new byte[] { 0, 0, 0, 0, 1, 2, 3 }, new IPEndPoint(d.Address.Address, d.Address.Port));
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string body;
        do
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            body = await RawAsync(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
        }
        while (!body.Contains("\nhipnat_packets_received_total 1\n", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.Contains("\nhipnat_packets_received_total 1\n", body, StringComparison.Ordinal);
        Assert.Matches(@"\nhipnat_packets_dropped_total\{reason=""[A-Za-z]+""\} 1\n", body);
        Assert.Contains("\nhipnat_transport_datagrams_total{direction=\"received\"} 1\n", body, StringComparison.Ordinal);

        var head = await RawAsync(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", head, StringComparison.Ordinal);

        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", await RawAsync(port, "GET / HTTP/1.1\r\n\r\n"), StringComparison.Ordinal);
        var post = await RawAsync(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 405 Method Not Allowed\r\n", post, StringComparison.Ordinal);
        Assert.Contains("Allow: GET, HEAD\r\n", post, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", await RawAsync(port, "hello\r\n\r\n"), StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", await RawAsync(port, new string('a', 8192)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusReportsTheRelayingCountersAndNoRegistrarOnAPlainHost()
    {
        using var d = new InProcessDaemon();
        d.Daemon.Start();
        var status = await d.StatusAsync();
        Assert.Null(status.Registrar);
        Assert.Empty(status.Registrations);
        Assert.Equal(0, status.Counters.Relayed);
        Assert.Null(status.MetricsUrl);
        var json = System.Text.Json.JsonSerializer.Serialize(status, ControlJsonContext.Default.StatusReport);
        Assert.Contains("\"registrations\":[]", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"registrar\"", json, StringComparison.Ordinal);
        Assert.Contains("\"keepalivesSent\":0", json, StringComparison.Ordinal);
    }

    private static async Task<string> RawAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
