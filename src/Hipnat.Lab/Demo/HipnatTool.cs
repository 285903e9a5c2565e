using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Hipnat.Lab.Internal;

namespace Hipnat.Lab.Demo;

/// <summary>
/// Runs the built <c>hipnat</c> (<c>dotnet hipnat.dll</c>) in a lab: key generation in a directory of the lab, daemons
/// (<c>hipnat run</c>, <c>hipnat relay</c>) in hosts' namespaces, each with its own control socket.
/// </summary>
public sealed class HipnatTool
{
    /// <summary>The HIP port every daemon of the lab listens on.</summary>
    public const int Port = 10500;

    public HipnatTool(string dll, string directory)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"hipnat.dll not found at {dll}; build src/Hipnat.Cli first", dll);
        }

        Dll = Path.GetFullPath(dll);
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
    }

    /// <summary>The hipnat.dll that runs.</summary>
    public string Dll { get; }

    /// <summary>Where keys, control sockets and logs go.</summary>
    public string Directory { get; }

    /// <summary>A tool keeping its files in the lab's work directory (removed with the lab unless artifacts are kept).</summary>
    public static HipnatTool ForLab(NetworkLab lab, string dll) => new(dll, Path.Combine(lab.WorkDirectory, "hipnat"));

    /// <summary>Runs <c>hipnat keygen</c> for each name in parallel; returns name → (key file, HIT).</summary>
    public IReadOnlyDictionary<string, HipnatIdentity> Keygen(params string[] names)
    {
        var tasks = names.Select(name => Task.Run(() =>
        {
            var key = Path.Combine(Directory, name + ".pem");
            var result = CommandRunner.Run("dotnet", [Dll, "keygen", "--out", key, "--force"], TimeSpan.FromSeconds(30));
            if (!result.Succeeded)
            {
                throw new LabCommandException($"hipnat keygen for {name} failed: {result.StandardError.Trim()}");
            }

            return new HipnatIdentity(name, key, result.StandardOutput.Trim());
        })).ToArray();
        Task.WaitAll(tasks);
        return tasks.ToDictionary(t => t.Result.Name, t => t.Result);
    }

    /// <summary>Starts <c>hipnat run</c> on <paramref name="host"/> listening on 0.0.0.0:10500; returns once its control socket answers.</summary>
    public HipnatDaemon StartHost(LabHost host, HipnatIdentity identity, params string[] extraArgs) =>
        Start(host, identity, "run", extraArgs);

    /// <summary>Starts <c>hipnat relay</c> on <paramref name="host"/> listening on its address, port 10500.</summary>
    public HipnatDaemon StartRelay(LabHost host, HipnatIdentity identity, params string[] extraArgs) =>
        Start(host, identity, "relay", extraArgs);

    /// <summary>Runs a hipnat client command (e.g. <c>connect HIT</c>) inside <paramref name="host"/>'s namespace.</summary>
    public LabCommandResult Run(LabHost host, TimeSpan timeout, params string[] args) => host.Run(timeout, "dotnet", [Dll, .. args]);

    private HipnatDaemon Start(LabHost host, HipnatIdentity identity, string command, string[] extraArgs)
    {
        var control = Path.Combine(Directory, identity.Name + ".sock");
        string listen = command == "relay"
            ? $"{host.Address}:{Port.ToString(CultureInfo.InvariantCulture)}"
            : $"0.0.0.0:{Port.ToString(CultureInfo.InvariantCulture)}";
        string[] args = [command, "--key", identity.KeyFile, "--listen", listen, "--control", control, .. extraArgs];
        var process = host.StartDotnet(Dll, args);
        var daemon = new HipnatDaemon(this, host, identity, control, process, new IPEndPoint(host.Address, Port));
        try
        {
            daemon.WaitUntilUp(TimeSpan.FromSeconds(20));
        }
        catch
        {
            daemon.Dispose();
            throw;
        }

        return daemon;
    }
}

/// <summary>A host identity made by <c>hipnat keygen</c>.</summary>
public sealed record HipnatIdentity(string Name, string KeyFile, string Hit);

/// <summary>A hipnat daemon running in a lab host.</summary>
public sealed class HipnatDaemon : IDisposable
{
    internal HipnatDaemon(HipnatTool tool, LabHost host, HipnatIdentity identity, string controlSocket, LabProcess process, IPEndPoint endpoint)
    {
        Tool = tool;
        Host = host;
        Identity = identity;
        ControlSocket = controlSocket;
        Process = process;
        Endpoint = endpoint;
    }

    public HipnatTool Tool { get; }

    public LabHost Host { get; }

    public HipnatIdentity Identity { get; }

    public string Name => Identity.Name;

    public string Hit => Identity.Hit;

    public string ControlSocket { get; }

    public LabProcess Process { get; }

    /// <summary>The host's own address and the HIP port (before any NAT).</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>The daemon's status object (<c>hipnat status --json</c>), read through its control socket.</summary>
    public JsonElement Status() => Demo.ControlSocket.Status(ControlSocket);

    /// <summary>Runs <c>hipnat ARGS --control SOCKET</c> in the daemon's namespace.</summary>
    public LabCommandResult Cli(TimeSpan timeout, params string[] args) => Tool.Run(Host, timeout, [.. args, "--control", ControlSocket]);

    /// <summary>Polls <see cref="Status"/> until <paramref name="condition"/> holds; returns the status that satisfied it.</summary>
    /// <exception cref="TimeoutException">Not within <paramref name="timeout"/>; the message holds <paramref name="what"/> and the last status.</exception>
    public JsonElement WaitForStatus(Func<JsonElement, bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        JsonElement last = default;
        while (true)
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"{Name}'s daemon exited (code {Process.ExitCode}) while waiting for {what}:\n{Tail()}");
            }

            try
            {
                last = Status();
                if (condition(last))
                {
                    return last;
                }
            }
            catch (IOException)
            {
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name}: no {what} after {timeout.TotalSeconds:0.#} s; last status: {(last.ValueKind == JsonValueKind.Undefined ? "none" : last.ToString())}");
            }

            Thread.Sleep(40);
        }
    }

    /// <summary>The last lines of the daemon's output.</summary>
    public string Tail(int lines = 15) =>
        string.Join('\n', Process.Output.TakeLast(lines).Select(l => $"  {Name} | {l.Text}"));

    public void Dispose() => Process.Dispose();

    internal void WaitUntilUp(TimeSpan timeout) =>
        WaitForStatus(s => s.ValueKind == JsonValueKind.Object, timeout, "answer on its control socket");
}
