namespace Hipnat.Runtime.Control;

/// <summary>A peer the daemon knows locators for.</summary>
public sealed class PeerReport
{
    public string Hit { get; set; } = string.Empty;

    public List<string> Locators { get; set; } = [];
}
