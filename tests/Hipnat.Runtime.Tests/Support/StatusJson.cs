using System.Text.Json;
using Hipnat.Runtime.Control;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>Reads <c>hipnat status --json</c> output.</summary>
public static class StatusJson
{
    public static StatusReport Parse(string json) =>
        JsonSerializer.Deserialize(json, ControlJsonContext.Default.StatusReport)
        ?? throw new InvalidOperationException("status --json printed null");

    /// <summary>Polls <c>hipnat status --json</c> until the association with <paramref name="peer"/> has <paramref name="state"/>.</summary>
    public static async Task<StatusReport> WaitForStateAsync(DaemonProcess daemon, string peer, string state, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var r = await daemon.CliAsync("status", "--json");
            Assert.True(r.ExitCode == 0, r.ToString());
            var status = Parse(r.Stdout);
            var a = status.Associations.FirstOrDefault(x => x.PeerHit == peer);
            if (a?.State == state)
            {
                return status;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"association with {peer} is {a?.State ?? "absent"}, not {state}, after {timeout}:\n{r.Stdout}\n{daemon.Process.Output}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Polls <c>hipnat status --json</c> until <paramref name="condition"/> holds.</summary>
    public static async Task<StatusReport> WaitForAsync(DaemonProcess daemon, Func<StatusReport, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var r = await daemon.CliAsync("status", "--json");
            Assert.True(r.ExitCode == 0, r.ToString());
            var status = Parse(r.Stdout);
            if (condition(status))
            {
                return status;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{what} not reached after {timeout}:\n{r.Stdout}\n{daemon.Process.Output}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Waits until the registration with <paramref name="registrar"/> for <paramref name="service"/> has <paramref name="state"/>.</summary>
    public static async Task<RegistrationReport> WaitForRegistrationAsync(DaemonProcess daemon, string registrar, string service, string state, TimeSpan timeout)
    {
        var status = await WaitForAsync(
            daemon,
            s => s.Registrations.Any(r => r.RegistrarHit == registrar && r.Service == service && r.State == state),
            timeout,
            $"registration with {registrar} for {service} in state {state}");
        return status.Registrations.First(r => r.RegistrarHit == registrar && r.Service == service);
    }
}
