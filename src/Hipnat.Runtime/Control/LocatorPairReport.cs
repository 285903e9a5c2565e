namespace Hipnat.Runtime.Control;

/// <summary>One local/peer locator pair of a host association.</summary>
public sealed class LocatorPairReport
{
    public string Local { get; set; } = string.Empty;

    public string Peer { get; set; } = string.Empty;

    public string State { get; set; } = string.Empty;

    public double RttMs { get; set; }
}
