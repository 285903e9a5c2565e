using System.Buffers.Binary;

namespace Hipnat.Wire;

/// <summary>
/// Big-endian writer over a caller-provided buffer (usually rented from a pool). Writing past the end
/// is a programming error (the caller sized the buffer) and throws <see cref="InvalidOperationException"/>.
/// </summary>
public ref struct HipWriter
{
    private readonly Span<byte> _buffer;
    private int _pos;

    public HipWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _pos = 0;
    }

    public readonly int Position => _pos;

    public readonly Span<byte> Buffer => _buffer;

    public readonly Span<byte> Written => _buffer[.._pos];

    public void WriteByte(byte v)
    {
        Ensure(1);
        _buffer[_pos++] = v;
    }

    public void WriteUInt16(ushort v)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_pos..], v);
        _pos += 2;
    }

    public void WriteUInt32(uint v)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[_pos..], v);
        _pos += 4;
    }

    public void WriteUInt64(ulong v)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64BigEndian(_buffer[_pos..], v);
        _pos += 8;
    }

    public void WriteHit(Hit hit)
    {
        Ensure(Hit.Length);
        hit.WriteTo(_buffer[_pos..]);
        _pos += Hit.Length;
    }

    /// <summary>Writes a 16-octet address field, IPv4 in IPv4-mapped IPv6 format.</summary>
    public void WriteAddress(System.Net.IPAddress address)
    {
        Ensure(Ipv4MappedAddress.Length);
        Ipv4MappedAddress.Write(address, _buffer.Slice(_pos, Ipv4MappedAddress.Length));
        _pos += Ipv4MappedAddress.Length;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer[_pos..]);
        _pos += bytes.Length;
    }

    public void WriteZeros(int count)
    {
        Ensure(count);
        _buffer.Slice(_pos, count).Clear();
        _pos += count;
    }

    /// <summary>Reserves <paramref name="count"/> octets and returns them for the caller to fill.</summary>
    public Span<byte> Reserve(int count)
    {
        Ensure(count);
        var s = _buffer.Slice(_pos, count);
        _pos += count;
        return s;
    }

    private readonly void Ensure(int n)
    {
        if (_buffer.Length - _pos < n)
        {
            throw new InvalidOperationException($"HIP writer buffer too small: need {n} at {_pos}, capacity {_buffer.Length}");
        }
    }
}
