using Hipnat.Runtime.Control;

namespace Hipnat.Cli;

/// <summary>Client side of the control socket for the CLI commands.</summary>
internal static class ControlCall
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static Task<ControlResponse> SendAsync(string? control, ControlRequest request, TimeSpan timeout, CancellationToken cancellationToken) =>
        ControlClient.SendAsync(ControlSocketPath.ForClient(control), request, timeout, cancellationToken);
}
