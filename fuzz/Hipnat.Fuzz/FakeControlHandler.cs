using System.Globalization;
using Hipnat.Runtime.Configuration;
using Hipnat.Runtime.Control;

namespace Hipnat.Fuzz;

/// <summary>
/// Answers control requests as the daemon does up to its driver thread: the same argument checks (HIT and locator
/// parsing with <see cref="SettingParsers"/>, the timeout range), then a canned answer instead of the association work.
/// </summary>
public sealed class FakeControlHandler : IControlHandler
{
    public Task<ControlResponse> HandleAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.FromResult(Handle(request));
    }

    private static ControlResponse Handle(ControlRequest request)
    {
        switch (request.Command)
        {
            case ControlRequest.Status:
                return new ControlResponse { Ok = true, Message = "status" };

            case ControlRequest.Connect:
                {
                    if (!SettingParsers.TryParseHit(request.Hit, out var peer, out var error))
                    {
                        return ControlResponse.Failure(error);
                    }

                    double seconds = request.TimeoutSeconds ?? 10;
                    if (!(seconds > 0 && seconds <= 3600))
                    {
                        return ControlResponse.Failure($"timeoutSeconds {seconds.ToString(CultureInfo.InvariantCulture)} is out of range; use 0.1-3600");
                    }

                    return ControlResponse.Success($"connecting to {peer} within {TimeSpan.FromSeconds(seconds)}");
                }

            case ControlRequest.Close:
                return SettingParsers.TryParseHit(request.Hit, out var closed, out var closeError)
                    ? ControlResponse.Success($"closing {closed}")
                    : ControlResponse.Failure(closeError);

            case ControlRequest.PeersAdd:
                {
                    if (!SettingParsers.TryParseHit(request.Hit, out var peer, out var error))
                    {
                        return ControlResponse.Failure(error);
                    }

                    if (request.Locators is not { Count: > 0 })
                    {
                        return ControlResponse.Failure("peers-add needs at least one locator, e.g. 192.0.2.1:10500");
                    }

                    var locators = new List<string>();
                    foreach (var text in request.Locators)
                    {
                        if (!SettingParsers.TryParseAddress(text, out var locator, out var addressError))
                        {
                            return ControlResponse.Failure($"locator {addressError}");
                        }

                        locators.Add(locator.ToString());
                    }

                    return ControlResponse.Success($"{peer}: {string.Join(", ", locators)}");
                }

            default:
                return ControlResponse.Failure($"unknown command '{request.Command}'; expected one of status, connect, close, peers-add");
        }
    }
}
