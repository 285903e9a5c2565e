namespace Hipnat.Wire.Packets;

/// <summary>HIP packet types (RFC 7401 §5.3).</summary>
public enum HipPacketType : byte
{
    I1 = 1,
    R1 = 2,
    I2 = 3,
    R2 = 4,
    Update = 16,
    Notify = 17,
    Close = 18,
    CloseAck = 19,
}
