using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hipnat.Service.Tests;

/// <summary>
/// The documented install step (docs/service.md): <c>scripts/install.sh --destdir</c> stages a self-contained build,
/// the command link, a config file and a host key under /etc/hipnat, and the systemd unit; the staged binary runs
/// without the SDK's shared runtime and tells a service manager it is ready; the unit passes systemd's own check.
/// </summary>
public sealed class InstallTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hipnat-install-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "hipnat.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("hipnat.sln not found above " + AppContext.BaseDirectory);
    }

    private static (int Code, string Out, string Err) Run(string file, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // The staged binary must not lean on the SDK: no DOTNET_ROOT, no dotnet on its way.
        info.Environment.Remove("DOTNET_ROOT");
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void InstallStagesARunnableServiceWithConfigKeyAndUnit()
    {
        string root = RepoRoot();
        var install = Run("bash", [Path.Combine(root, "scripts", "install.sh"), "--destdir", _dir, "--prefix", "/opt/hipnat"], TimeSpan.FromMinutes(10));
        Assert.True(install.Code == 0, $"install.sh failed ({install.Code}):\n{install.Out}\n{install.Err}");

        // The command link points at the installed location (not the staging directory).
        string link = Path.Combine(_dir, "opt/hipnat/bin/hipnat");
        Assert.Equal("/opt/hipnat/lib/hipnat/hipnat", new FileInfo(link).LinkTarget);
        string binary = Path.Combine(_dir, "opt/hipnat/lib/hipnat/hipnat");
        Assert.True(File.Exists(binary), binary);
        Assert.True(File.Exists(Path.Combine(_dir, "opt/hipnat/lib/hipnat/libcoreclr.so")), "not self-contained: no libcoreclr.so");

        // A private key only its owner reads, and a config file naming it.
        string key = Path.Combine(_dir, "etc/hipnat/host.pem");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        var hit = Run(binary, ["hit", key], TimeSpan.FromMinutes(1));
        Assert.True(hit.Code == 0, hit.Err);
        Assert.Matches(@"^2001:2[0-9a-f]:", hit.Out.Trim());
        Assert.Contains("\"keyFile\": \"/etc/hipnat/host.pem\"", File.ReadAllText(Path.Combine(_dir, "etc/hipnat/hipnat.json")), StringComparison.Ordinal);

        // The unit runs the installed command with the config file, as a notify service with reload.
        string unit = File.ReadAllText(Path.Combine(_dir, "etc/systemd/system/hipnat.service"));
        Assert.Contains("ExecStart=/opt/hipnat/bin/hipnat run --config /etc/hipnat/hipnat.json", unit, StringComparison.Ordinal);
        Assert.Contains("Type=notify", unit, StringComparison.Ordinal);
        Assert.Contains("ExecReload=/bin/kill -HUP $MAINPID", unit, StringComparison.Ordinal);
        Assert.Contains("RuntimeDirectory=hipnat", unit, StringComparison.Ordinal);
        Assert.DoesNotContain("@PREFIX@", unit, StringComparison.Ordinal);

        // systemd's own check of the unit, with ExecStart pointed at the staged binary: no warnings at all.
        string check = Path.Combine(_dir, "hipnat.service");
        File.WriteAllText(check, unit.Replace("/opt/hipnat/bin/hipnat", binary, StringComparison.Ordinal));
        var verify = Run("systemd-analyze", ["verify", check], TimeSpan.FromMinutes(1));
        Assert.True(verify.Code == 0 && verify.Err.Trim().Length == 0, $"systemd-analyze verify: {verify.Code}\n{verify.Out}\n{verify.Err}");

        // The staged binary runs as the daemon and reports READY=1 on $NOTIFY_SOCKET.
        string notifyPath = Path.Combine(_dir, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        notify.ReceiveTimeout = 30_000;
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "run", "--key", key, "--listen", $"127.0.0.1:{port}", "--tun", "off", "--control", Path.Combine(_dir, "d.sock") })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["NOTIFY_SOCKET"] = notifyPath;
        using var daemon = Process.Start(info)!;
        try
        {
            var buffer = new byte[4096];
            int n = notify.Receive(buffer);
            string message = Encoding.UTF8.GetString(buffer, 0, n);
            Assert.Contains("READY=1", message, StringComparison.Ordinal);
            Assert.Contains($"running as {hit.Out.Trim()}", message, StringComparison.Ordinal);
        }
        finally
        {
            daemon.Kill();
            daemon.WaitForExit();
        }
    }
}
