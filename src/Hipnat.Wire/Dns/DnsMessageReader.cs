using System.Buffers.Binary;

namespace Hipnat.Wire.Dns;

/// <summary>
/// Reads the header and questions of an untrusted DNS message front to back. Throws <see cref="HipFormatException"/>
/// (<see cref="WireError.Truncated"/> when the message runs out, <see cref="WireError.InvalidParameter"/> or
/// <see cref="WireError.TooLong"/> for a name no query may carry); <see cref="DnsQuery.TryParse"/> catches it.
/// Allocates only the host name of a question.
/// </summary>
public ref struct DnsMessageReader
{
    private readonly ReadOnlySpan<byte> _message;
    private int _pos;

    public DnsMessageReader(ReadOnlySpan<byte> message)
    {
        _message = message;
        _pos = 0;
    }

    public readonly int Position => _pos;

    public DnsHeader ReadHeader()
    {
        if (!DnsHeader.TryRead(_message[_pos..], out var header))
        {
            throw new HipFormatException(WireError.Truncated, "a DNS message is at least 12 octets (RFC 1035 §4.1.1)");
        }

        _pos += DnsHeader.Length;
        return header;
    }

    /// <summary>Reads one question (RFC 1035 §4.1.2).</summary>
    public DnsQuestion ReadQuestion()
    {
        int start = _pos;
        Span<char> chars = stackalloc char[DnsName.MaxWireLength];
        int n = 0;
        int wire = 0;
        bool host = true;
        while (true)
        {
            int len = ReadByte();
            wire++;
            if (len == 0)
            {
                break;
            }

            // RFC 1035 §4.1.4: 0b11 starts a compression pointer; nothing precedes the first question for it to
            // point at. 0b01 and 0b10 are reserved label types (RFC 6891 §5 retired the extended ones).
            if ((len & 0xC0) != 0)
            {
                throw new HipFormatException(WireError.InvalidParameter, $"label type 0x{len & 0xC0:x2} in a question name");
            }

            Need(len);
            wire += len;
            if (wire + 1 > DnsName.MaxWireLength)
            {
                throw new HipFormatException(WireError.TooLong, "a name is at most 255 octets (RFC 1035 §2.3.4)");
            }

            var label = _message.Slice(_pos, len);
            _pos += len;
            if (!host)
            {
                continue;
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                host = false;
                continue;
            }

            foreach (byte b in label)
            {
                if (!char.IsAsciiLetterOrDigit((char)b) && b is not (byte)'-' and not (byte)'_')
                {
                    host = false;
                    break;
                }

                chars[n++] = char.ToLowerInvariant((char)b);
            }

            chars[n++] = '.';
        }

        Need(4);
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(_message[_pos..]);
        ushort qclass = BinaryPrimitives.ReadUInt16BigEndian(_message[(_pos + 2)..]);
        _pos += 4;
        string? name = host && n > 0 ? new string(chars[..n]) : null;
        return new DnsQuestion(name, type, qclass, start, _pos - start);
    }

    private byte ReadByte()
    {
        Need(1);
        return _message[_pos++];
    }

    private readonly void Need(int count)
    {
        if (_message.Length - _pos < count)
        {
            throw new HipFormatException(WireError.Truncated, $"the DNS message ends {count - (_message.Length - _pos)} octet(s) early at offset {_pos}");
        }
    }
}
