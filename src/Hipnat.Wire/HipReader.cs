using System.Buffers.Binary;

namespace Hipnat.Wire;

/// <summary>Big-endian reader over untrusted octets. Throws <see cref="HipFormatException"/> (Truncated) when input runs out.</summary>
public ref struct HipReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public HipReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    public readonly int Position => _pos;

    public readonly int Remaining => _data.Length - _pos;

    public readonly bool End => _pos >= _data.Length;

    public readonly ReadOnlySpan<byte> RemainingSpan => _data[_pos..];

    public byte ReadByte()
    {
        Need(1);
        return _data[_pos++];
    }

    public ushort ReadUInt16()
    {
        Need(2);
        ushort v = BinaryPrimitives.ReadUInt16BigEndian(_data[_pos..]);
        _pos += 2;
        return v;
    }

    public uint ReadUInt32()
    {
        Need(4);
        uint v = BinaryPrimitives.ReadUInt32BigEndian(_data[_pos..]);
        _pos += 4;
        return v;
    }

    public ulong ReadUInt64()
    {
        Need(8);
        ulong v = BinaryPrimitives.ReadUInt64BigEndian(_data[_pos..]);
        _pos += 8;
        return v;
    }

    public Hit ReadHit()
    {
        Need(Hit.Length);
        var h = new Hit(_data.Slice(_pos, Hit.Length));
        _pos += Hit.Length;
        return h;
    }

    /// <summary>Reads a 16-octet address field (IPv4-mapped addresses come back as IPv4).</summary>
    public System.Net.IPAddress ReadAddress()
    {
        Need(Ipv4MappedAddress.Length);
        var a = Ipv4MappedAddress.Read(_data.Slice(_pos, Ipv4MappedAddress.Length));
        _pos += Ipv4MappedAddress.Length;
        return a;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0)
        {
            throw new HipFormatException(WireError.InvalidParameter, "negative length");
        }

        Need(count);
        var s = _data.Slice(_pos, count);
        _pos += count;
        return s;
    }

    public void Skip(int count) => ReadBytes(count);

    /// <summary>Throws unless every octet has been consumed (fixed-size parameters).</summary>
    public readonly void ExpectEnd()
    {
        if (_pos != _data.Length)
        {
            throw new HipFormatException(WireError.TooLong, $"{_data.Length - _pos} unexpected trailing octets");
        }
    }

    private readonly void Need(int n)
    {
        if (_data.Length - _pos < n)
        {
            throw new HipFormatException(WireError.Truncated, $"needed {n} octets at offset {_pos}, {_data.Length - _pos} left");
        }
    }
}
