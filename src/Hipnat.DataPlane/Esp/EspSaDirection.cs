namespace Hipnat.DataPlane.Esp;

/// <summary>An ESP SA is unidirectional (RFC 4303 §1): it either seals our traffic or opens the peer's.</summary>
public enum EspSaDirection
{
    Outbound,
    Inbound,
}
