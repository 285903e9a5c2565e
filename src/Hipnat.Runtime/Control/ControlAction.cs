using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Hipnat.Core.Transport;
using Hipnat.Runtime.Configuration;
using Hipnat.Wire;
using Hipnat.Wire.Dns;

namespace Hipnat.Runtime.Control;

/// <summary>
/// A control request whose arguments passed every check: the one place that turns the untrusted JSON of
/// <see cref="ControlRequest"/> into typed values or a clear error. The daemon and the fuzz harness both act on it.
/// </summary>
public abstract record ControlAction
{
    private ControlAction()
    {
    }

    /// <summary>Default for <c>connect</c> when the request names no timeout.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    public sealed record Status : ControlAction;

    public sealed record Connect(Hit Peer, TimeSpan Timeout) : ControlAction;

    /// <summary>Connect to a peer named by host name: resolve it, then connect to its HIT.</summary>
    public sealed record ConnectName(string Name, TimeSpan Timeout) : ControlAction;

    /// <summary>Resolve a peer's host name to its HIT and locators, and make them known to the core.</summary>
    public sealed record Resolve(string Name) : ControlAction;

    public sealed record Close(Hit Peer) : ControlAction;

    public sealed record AddPeer(Hit Peer, IReadOnlyList<TransportAddress> Locators) : ControlAction;

    public static bool TryParse(ControlRequest request, [NotNullWhen(true)] out ControlAction? action, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(request);
        action = null;
        switch (request.Command)
        {
            case ControlRequest.Status:
                action = new Status();
                error = null;
                return true;

            case ControlRequest.Connect:
                {
                    string? name = null;
                    Hit peer = default;
                    if (request.Hit is null && request.Name is not null)
                    {
                        if (!DnsName.TryNormalize(request.Name, out name, out var nameError))
                        {
                            error = "name " + nameError;
                            return false;
                        }
                    }
                    else if (!SettingParsers.TryParseHit(request.Hit, out peer, out error))
                    {
                        return false;
                    }

                    double seconds = request.TimeoutSeconds ?? DefaultConnectTimeout.TotalSeconds;
                    if (!(seconds > 0 && seconds <= 3600))
                    {
                        error = $"timeoutSeconds {seconds.ToString(CultureInfo.InvariantCulture)} is out of range; use 0.1-3600";
                        return false;
                    }

                    action = name is null ? new Connect(peer, TimeSpan.FromSeconds(seconds)) : new ConnectName(name, TimeSpan.FromSeconds(seconds));
                    error = null;
                    return true;
                }

            case ControlRequest.Resolve:
                {
                    if (!DnsName.TryNormalize(request.Name, out var name, out var nameError))
                    {
                        error = "name " + nameError;
                        return false;
                    }

                    action = new Resolve(name);
                    error = null;
                    return true;
                }

            case ControlRequest.Close:
                {
                    if (!SettingParsers.TryParseHit(request.Hit, out var peer, out error))
                    {
                        return false;
                    }

                    action = new Close(peer);
                    return true;
                }

            case ControlRequest.PeersAdd:
                {
                    if (!SettingParsers.TryParseHit(request.Hit, out var peer, out error))
                    {
                        return false;
                    }

                    if (request.Locators is not { Count: > 0 })
                    {
                        error = "peers-add needs at least one locator, e.g. 192.0.2.1:10500";
                        return false;
                    }

                    var locators = new List<TransportAddress>(request.Locators.Count);
                    foreach (var text in request.Locators)
                    {
                        if (!SettingParsers.TryParseAddress(text, out var locator, out var addressError))
                        {
                            error = $"locator {addressError}";
                            return false;
                        }

                        locators.Add(locator);
                    }

                    action = new AddPeer(peer, locators);
                    return true;
                }

            default:
                error = $"unknown command '{request.Command}'; expected one of status, connect, close, peers-add, resolve";
                return false;
        }
    }
}
