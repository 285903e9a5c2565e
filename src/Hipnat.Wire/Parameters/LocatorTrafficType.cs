namespace Hipnat.Wire.Parameters;

/// <summary>Traffic Type of a locator (RFC 8046 §4.1).</summary>
public enum LocatorTrafficType : byte
{
    /// <summary>HIP signaling and user data.</summary>
    Both = 0,
    SignalingOnly = 1,
    DataOnly = 2,
}
