using Hipnat.Runtime.Control;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>A <c>hipnat run</c> process, started and waited for until its control socket answers. Dispose stops it.</summary>
public sealed class DaemonProcess : IDisposable
{
    private DaemonProcess(ChildProcess process, string control, string hit)
    {
        Process = process;
        Control = control;
        Hit = hit;
    }

    public ChildProcess Process { get; }

    public string Control { get; }

    public string Hit { get; }

    public static Task<DaemonProcess> StartAsync(string hit, string control, params string[] runArguments) =>
        StartCommandAsync("run", hit, control, runArguments);

    /// <summary>Starts <c>hipnat relay</c> with <paramref name="relayArguments"/>.</summary>
    public static Task<DaemonProcess> StartRelayAsync(string hit, string control, params string[] relayArguments) =>
        StartCommandAsync("relay", hit, control, relayArguments);

    public static Task<DaemonProcess> StartCommandAsync(string command, string hit, string control, params string[] arguments) =>
        StartCommandAsync(command, hit, control, new Dictionary<string, string>(), arguments);

    /// <summary>Starts <c>hipnat COMMAND</c> with extra environment variables and waits until it answers on its control socket.</summary>
    public static async Task<DaemonProcess> StartCommandAsync(string command, string hit, string control, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var process = ChildProcess.StartHipnat(environment, [command, "--control", control, .. arguments]);
        var daemon = new DaemonProcess(process, control, hit);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"hipnat {command} exited early:\n{process.Output}");
                }

                if (File.Exists(control))
                {
                    try
                    {
                        var r = await ControlClient.SendAsync(control, new ControlRequest { Command = ControlRequest.Status }, TimeSpan.FromSeconds(2));
                        if (r.Ok)
                        {
                            return daemon;
                        }
                    }
                    catch (Exception e) when (e is ControlUnavailableException or TimeoutException)
                    {
                        // not ready yet
                    }
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"hipnat {command} did not answer on {control}:\n{process.Output}");
                }

                await Task.Delay(50);
            }
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
    }

    public Task<ProcessResult> CliAsync(params string[] arguments) =>
        ChildProcess.RunHipnatAsync(TimeSpan.FromSeconds(60), [.. arguments, "--control", Control]);

    public async Task<StatusReport> StatusAsync()
    {
        var r = await ControlClient.SendAsync(Control, new ControlRequest { Command = ControlRequest.Status }, TimeSpan.FromSeconds(5));
        Assert.True(r.Ok, r.Error);
        return r.Status!;
    }

    public void Dispose() => Process.Dispose();
}
