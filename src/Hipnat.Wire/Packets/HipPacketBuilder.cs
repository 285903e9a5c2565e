using System.Buffers.Binary;
using Hipnat.Wire.Parameters;

namespace Hipnat.Wire.Packets;

/// <summary>
/// Writes one HIP packet into a caller-provided buffer: header first, then parameters in the order the caller
/// adds them (callers add in ascending type order; debug builds assert it), each framed and zero-padded to
/// 8 octets (RFC 7401 §5.2.1). The checksum is left zero: over UDP it stays zero (RFC 9028 §5.1), over raw
/// IP the transport fills it in with the pseudo-header (<see cref="HipChecksum"/>).
/// </summary>
public ref struct HipPacketBuilder
{
    private readonly Span<byte> _buffer;
    private int _pos;
    private int _lastType;

    public HipPacketBuilder(Span<byte> buffer, HipPacketType type, Hit sender, Hit receiver, ushort controls = 0)
    {
        _buffer = buffer;
        new HipHeader(type, sender, receiver, controls).Write(buffer);
        _pos = HipHeader.Size;
        _lastType = -1;
    }

    public readonly int Length => _pos;

    public readonly Span<byte> Buffer => _buffer;

    public void Add<T>(in T parameter)
        where T : struct, IHipParameter<T>
    {
        int len = parameter.GetContentLength();
        var contents = BeginRaw(T.Type, len);
        parameter.WriteContents(contents);
    }

    public void AddRaw(ushort type, scoped ReadOnlySpan<byte> contents) => contents.CopyTo(BeginRaw(type, contents.Length));

    /// <summary>Frames a parameter of <paramref name="contentLength"/> octets and returns its contents to fill.</summary>
    public Span<byte> BeginRaw(ushort type, int contentLength)
    {
        System.Diagnostics.Debug.Assert(type >= _lastType, "HIP parameters must be added in ascending type order");
        if (contentLength > ushort.MaxValue)
        {
            throw new InvalidOperationException($"parameter {ParameterType.Name(type)} too long: {contentLength}");
        }

        int total = HipParameterHeader.TotalLength(contentLength);
        if (_pos + total > _buffer.Length || _pos + total > HipHeader.MaxPacketLength)
        {
            throw new InvalidOperationException($"HIP packet exceeds {Math.Min(_buffer.Length, HipHeader.MaxPacketLength)} octets adding {ParameterType.Name(type)}");
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_pos..], type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_pos + 2)..], (ushort)contentLength);
        var contents = _buffer.Slice(_pos + HipParameterHeader.Size, contentLength);
        _buffer.Slice(_pos + HipParameterHeader.Size + contentLength, total - HipParameterHeader.Size - contentLength).Clear();
        _pos += total;
        _lastType = type;
        return contents;
    }

    /// <summary>
    /// The octets a MAC or signature added next must cover: everything written so far, with Header Length
    /// covering exactly that and the checksum zero (RFC 7401 §6.4.1, §6.4.2).
    /// </summary>
    public readonly ReadOnlySpan<byte> PrefixForMac()
    {
        HipHeader.PatchLength(_buffer, _pos);
        return _buffer[.._pos];
    }

    /// <summary>Sets the final Header Length and returns the packet length.</summary>
    public readonly int Finish()
    {
        HipHeader.PatchLength(_buffer, _pos);
        return _pos;
    }
}
