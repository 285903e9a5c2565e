namespace Hipnat.Wire.Parameters;

/// <summary>
/// Shape shared by every HIP parameter codec: a small value type that knows its type number, its contents
/// length, how to write its contents, and how to read them from untrusted octets. TLV framing and padding
/// (RFC 7401 §5.2.1) are done once by <see cref="Packets.HipPacketBuilder"/> and <see cref="Packets.HipPacket"/>.
/// </summary>
public interface IHipParameter<TSelf>
    where TSelf : struct, IHipParameter<TSelf>
{
    static abstract ushort Type { get; }

    /// <summary>Length of Contents in octets (the TLV Length field), excluding Type, Length and padding.</summary>
    int GetContentLength();

    void WriteContents(Span<byte> destination);

    /// <summary>Reads Contents (exactly the Length octets). May throw <see cref="HipFormatException"/>; callers use
    /// <see cref="Packets.HipPacket.TryGet{T}(out T, out WireError)"/> which turns it into a <see cref="WireError"/>.</summary>
    static abstract TSelf Read(ReadOnlySpan<byte> contents);
}
