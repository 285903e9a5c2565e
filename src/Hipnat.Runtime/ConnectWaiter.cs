using Hipnat.Runtime.Control;
using Hipnat.Wire;

namespace Hipnat.Runtime;

/// <summary>A pending "connect" request: answered when the association is ESTABLISHED, fails, or the deadline passes.</summary>
internal sealed class ConnectWaiter(Hit peer, TimeSpan startedAt, TimeSpan deadline)
{
    public Hit Peer { get; } = peer;

    public TimeSpan StartedAt { get; } = startedAt;

    public TimeSpan Deadline { get; } = deadline;

    public TaskCompletionSource<ControlResponse> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
