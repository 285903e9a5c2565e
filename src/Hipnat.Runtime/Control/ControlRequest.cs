namespace Hipnat.Runtime.Control;

/// <summary>
/// One control request: a JSON object on one line. Commands: "status"; "connect" {hit, timeoutSeconds};
/// "close" {hit}; "peers-add" {hit, locators}.
/// </summary>
public sealed class ControlRequest
{
    public const string Status = "status";
    public const string Connect = "connect";
    public const string Close = "close";
    public const string PeersAdd = "peers-add";

    public string Command { get; set; } = string.Empty;

    public string? Hit { get; set; }

    public double? TimeoutSeconds { get; set; }

    public List<string>? Locators { get; set; }
}
