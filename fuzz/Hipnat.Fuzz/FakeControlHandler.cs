using Hipnat.Runtime.Control;

namespace Hipnat.Fuzz;

/// <summary>
/// Answers control requests as the daemon does up to its driver thread: the same argument checks
/// (<see cref="ControlAction.TryParse"/>), then a canned answer instead of the association work.
/// </summary>
public sealed class FakeControlHandler : IControlHandler
{
    public Task<ControlResponse> HandleAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!ControlAction.TryParse(request, out var action, out var error))
        {
            return Task.FromResult(ControlResponse.Failure(error));
        }

        return Task.FromResult(action switch
        {
            ControlAction.Connect c => ControlResponse.Success($"connecting to {c.Peer} within {c.Timeout}"),
            ControlAction.ConnectName c => ControlResponse.Success($"resolving {c.Name}, then connecting within {c.Timeout}"),
            ControlAction.Resolve r => ControlResponse.Success($"resolving {r.Name}"),
            ControlAction.Close c => ControlResponse.Success($"closing {c.Peer}"),
            ControlAction.AddPeer a => ControlResponse.Success($"{a.Peer}: {string.Join(", ", a.Locators)}"),
            _ => new ControlResponse { Ok = true, Message = "status" },
        });
    }
}
