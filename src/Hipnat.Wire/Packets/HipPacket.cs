using System.Buffers.Binary;
using Hipnat.Wire.Parameters;

namespace Hipnat.Wire.Packets;

/// <summary>
/// A validated view over one HIP packet in untrusted octets. <see cref="TryParse"/> checks the header and the
/// TLV framing of every parameter (lengths, ascending order, consecutive duplicates, unknown critical types)
/// once; typed access to a parameter then goes through <see cref="TryGet{T}(out T, out WireError)"/>.
/// </summary>
public readonly ref struct HipPacket
{
    private HipPacket(ReadOnlySpan<byte> data, HipHeader header)
    {
        Data = data;
        Header = header;
    }

    /// <summary>The packet's octets, exactly <see cref="HipHeader.PacketLength"/> long.</summary>
    public ReadOnlySpan<byte> Data { get; }

    public HipHeader Header { get; }

    public HipPacketType Type => Header.Type;

    public ParameterEnumerator Parameters => new(Data);

    /// <summary>
    /// Parses untrusted input. Never throws. Trailing octets after Header Length are ignored (RFC 7401 §5.1 allows
    /// trailing data with other Next Header values; a caller that needs exact framing compares lengths itself).
    /// </summary>
    public static WireError TryParse(ReadOnlySpan<byte> data, out HipPacket packet, bool rejectUnknownCritical = true)
    {
        packet = default;
        var err = HipHeader.TryRead(data, out var header);
        if (err != WireError.None)
        {
            return err;
        }

        var body = data[..header.PacketLength];
        int pos = HipHeader.Size;
        int lastType = -1;
        while (pos < body.Length)
        {
            if (body.Length - pos < HipParameterHeader.Size)
            {
                return WireError.ParameterLength;
            }

            ushort type = BinaryPrimitives.ReadUInt16BigEndian(body[pos..]);
            int len = BinaryPrimitives.ReadUInt16BigEndian(body[(pos + 2)..]);
            int total = HipParameterHeader.TotalLength(len);
            if (total > body.Length - pos)
            {
                return WireError.ParameterLength;
            }

            // §5.2.1: types in increasing order; equal types consecutive (implied by non-decreasing order).
            if (type < lastType)
            {
                return WireError.ParameterOrder;
            }

            if (rejectUnknownCritical && HipParameterHeader.IsCritical(type) && !ParameterType.IsKnown(type))
            {
                return WireError.UnknownCriticalParameter;
            }

            lastType = type;
            pos += total;
        }

        packet = new HipPacket(body, header);
        return WireError.None;
    }

    /// <summary>First parameter of the given type.</summary>
    public bool TryFind(ushort type, out HipParameter parameter)
    {
        foreach (var p in Parameters)
        {
            if (p.Type == type)
            {
                parameter = p;
                return true;
            }

            if (p.Type > type)
            {
                break;
            }
        }

        parameter = default;
        return false;
    }

    public bool Has(ushort type) => TryFind(type, out _);

    /// <summary>
    /// The first critical parameter this implementation does not know, for a packet parsed with
    /// <c>rejectUnknownCritical: false</c>: its type goes into an UNSUPPORTED_CRITICAL_PARAMETER_TYPE
    /// NOTIFICATION (RFC 7401 §5.2.1, §5.2.19).
    /// </summary>
    public bool TryFindUnknownCritical(out ushort type)
    {
        foreach (var p in Parameters)
        {
            if (p.IsCritical && !ParameterType.IsKnown(p.Type))
            {
                type = p.Type;
                return true;
            }
        }

        type = 0;
        return false;
    }

    /// <summary>Number of parameters of a type (e.g. several REG_FAILED, several ECHO_REQUEST).</summary>
    public int Count(ushort type)
    {
        int n = 0;
        foreach (var p in Parameters)
        {
            if (p.Type == type)
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>Reads the first parameter of type <typeparamref name="T"/>. Returns false with
    /// <see cref="WireError.MissingParameter"/> when absent, or the format error when malformed.</summary>
    public bool TryGet<T>(out T value, out WireError error)
        where T : struct, IHipParameter<T>
    {
        if (!TryFind(T.Type, out var p))
        {
            value = default;
            error = WireError.MissingParameter;
            return false;
        }

        return TryRead(p, out value, out error);
    }

    public bool TryGet<T>(out T value)
        where T : struct, IHipParameter<T> => TryGet(out value, out _);

    /// <summary>
    /// Reads every parameter of type <typeparamref name="T"/> (CERT, REG_FAILED, NOTIFICATION, FROM,
    /// ECHO_REQUEST_UNSIGNED, PEER_PERMISSION ... may repeat, RFC 7401 §5.2.1). Returns true with an empty array
    /// when there is none; false with the first format error otherwise.
    /// </summary>
    public bool TryGetAll<T>(out T[] values, out WireError error)
        where T : struct, IHipParameter<T>
    {
        int n = Count(T.Type);
        values = n == 0 ? [] : new T[n];
        error = WireError.None;
        int i = 0;
        foreach (var p in Parameters)
        {
            if (p.Type == T.Type)
            {
                if (!TryRead(p, out values[i++], out error))
                {
                    values = [];
                    return false;
                }
            }
            else if (p.Type > T.Type)
            {
                break;
            }
        }

        return true;
    }

    /// <summary>Decodes one parameter's contents, turning any format exception into a <see cref="WireError"/>.</summary>
    public static bool TryRead<T>(HipParameter p, out T value, out WireError error)
        where T : struct, IHipParameter<T>
    {
        try
        {
            value = T.Read(p.Contents);
            error = WireError.None;
            return true;
        }
        catch (HipFormatException e)
        {
            value = default;
            error = e.Error;
            return false;
        }
        catch (ArgumentException)
        {
            value = default;
            error = WireError.InvalidParameter;
            return false;
        }
    }

    /// <summary>
    /// Copies the packet prefix that ends just before the parameter at <paramref name="parameterOffset"/> into
    /// <paramref name="destination"/>, with Header Length set to that prefix and the checksum zeroed: the octets
    /// over which HIP_MAC and HIP_SIGNATURE are computed (RFC 7401 §6.4.1, §6.4.2). Returns the prefix length.
    /// </summary>
    public int CopyPrefixForMac(int parameterOffset, Span<byte> destination)
    {
        var prefix = Data[..parameterOffset];
        prefix.CopyTo(destination);
        HipHeader.PatchLength(destination, parameterOffset);
        HipHeader.PatchChecksum(destination, 0);
        return parameterOffset;
    }

    /// <summary>Enumerates the TLVs of an already validated packet.</summary>
    public ref struct ParameterEnumerator
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _next;
        private HipParameter _current;

        internal ParameterEnumerator(ReadOnlySpan<byte> data)
        {
            _data = data;
            _next = HipHeader.Size;
            _current = default;
        }

        public readonly HipParameter Current => _current;

        public readonly ParameterEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_next + HipParameterHeader.Size > _data.Length)
            {
                return false;
            }

            ushort type = BinaryPrimitives.ReadUInt16BigEndian(_data[_next..]);
            int len = BinaryPrimitives.ReadUInt16BigEndian(_data[(_next + 2)..]);
            int total = HipParameterHeader.TotalLength(len);
            _current = new HipParameter(type, _data.Slice(_next + HipParameterHeader.Size, len), _next, total);
            _next += total;
            return true;
        }
    }
}
