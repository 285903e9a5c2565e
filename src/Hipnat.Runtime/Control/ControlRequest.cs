namespace Hipnat.Runtime.Control;

/// <summary>
/// One control request: a JSON object on one line. Commands: "status"; "connect" {hit or name, timeoutSeconds};
/// "close" {hit}; "peers-add" {hit, locators}; "resolve" {name}.
/// </summary>
public sealed class ControlRequest
{
    public const string Status = "status";
    public const string Connect = "connect";
    public const string Close = "close";
    public const string PeersAdd = "peers-add";
    public const string Resolve = "resolve";

    public string Command { get; set; } = string.Empty;

    public string? Hit { get; set; }

    /// <summary>A peer's host name, resolved by the daemon (names file, then DNS; RFC 8005).</summary>
    public string? Name { get; set; }

    public double? TimeoutSeconds { get; set; }

    public List<string>? Locators { get; set; }
}
