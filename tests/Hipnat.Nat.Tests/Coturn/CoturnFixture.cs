using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Tests.Coturn;

/// <summary>
/// Runs a real coturn `turnserver` on 127.0.0.1 (random high ports) for the life of a test class, with the
/// long-term credential test:secret in realm hipnat.test, and kills it on dispose. When `turnserver` is not
/// installed, <see cref="SkipReason"/> says so and the tests skip.
/// </summary>
public class CoturnFixture : IDisposable
{
    public const string Username = "test";
    public const string Password = "secret";
    public const string Realm = "hipnat.test";

    private readonly StringBuilder _log = new();
    private readonly Process? _process;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "hipnat-coturn-" + Guid.NewGuid().ToString("N"));

    public CoturnFixture()
        : this([])
    {
    }

    /// <summary>Starts coturn with <paramref name="extraArguments"/> after the common ones.</summary>
    protected CoturnFixture(string[] extraArguments)
    {
        var binary = FindTurnserver();
        if (binary is null)
        {
            SkipReason = "turnserver is not installed (Debian package coturn: apt-get install coturn)";
            return;
        }

        Directory.CreateDirectory(_directory);
        int port = FreeUdpPort();
        int minPort = Random.Shared.Next(20000, 30000) * 2;
        Server = new IPEndPoint(IPAddress.Loopback, port);
        SecondServer = new IPEndPoint(SecondAddress, port);
        RelayPortRange = (minPort, minPort + 200);
        Arguments =
        [
            "-n", // no configuration file
            "--listening-ip", "127.0.0.1",
            "--listening-ip", SecondAddress.ToString(),
            "--relay-ip", "127.0.0.1",
            "--listening-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--no-rfc5780",
            "--min-port", minPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--max-port", (minPort + 200).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--lt-cred-mech",
            "--user", $"{Username}:{Password}",
            "--realm", Realm,
            "--no-tls", "--no-dtls", "--no-tcp",
            "--no-cli",
            "--allow-loopback-peers",
            "--log-file", "stdout",
            "--pidfile", Path.Combine(_directory, "turnserver.pid"),
            "--userdb", Path.Combine(_directory, "turndb"),
            .. extraArguments,
        ];

        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("turnserver did not start");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilAnswering();
    }

    /// <summary>Why the coturn tests skip, or null when the server runs.</summary>
    public string? SkipReason { get; }

    public IPEndPoint Server { get; } = new(IPAddress.Loopback, 0);

    /// <summary>A second listening address (127.0.0.2, same port): a second STUN server for mapping comparisons.</summary>
    public static readonly IPAddress SecondAddress = IPAddress.Parse("127.0.0.2");

    public IPEndPoint SecondServer { get; } = new(SecondAddress, 0);

    public (int Min, int Max) RelayPortRange { get; }

    public IReadOnlyList<string> Arguments { get; } = [];

    public string CommandLine => "turnserver " + string.Join(' ', Arguments);

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public void Dispose()
    {
        if (_process is not null)
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            _process.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private void WaitUntilAnswering()
    {
        using var probe = new StunUdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"turnserver exited with {_process.ExitCode}:\n{Log}");
            }

            if (probe.Bind(Server, TimeSpan.FromMilliseconds(300)).Succeeded)
            {
                return;
            }
        }

        throw new InvalidOperationException($"turnserver did not answer on {Server}:\n{Log}");
    }

    private static string? FindTurnserver()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var directory in path.Split(Path.PathSeparator).Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"]))
        {
            var candidate = Path.Combine(directory, "turnserver");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
