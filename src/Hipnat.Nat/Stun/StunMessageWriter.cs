using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Hipnat.Nat.Stun;

/// <summary>
/// Builds one STUN message (RFC 8489 §5, §14): the header, then attributes in call order, each padded to a
/// 4-octet boundary. MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are computed over what has
/// been written so far, so add them last, in that order (RFC 8489 §14.5-§14.7). Violations of the format by the
/// caller (oversized values, bad codes) throw <see cref="ArgumentException"/>: they are local bugs, not input.
/// </summary>
public sealed class StunMessageWriter
{
    /// <summary>Longest UTF-8 value a sender may put in USERNAME: fewer than 509 octets (RFC 8489 §14.3).</summary>
    public const int MaxUsernameLength = 508;

    /// <summary>Longest UTF-8 value for REALM, NONCE, SOFTWARE, reason phrases: 128 characters, at most 509 octets.</summary>
    public const int MaxTextLength = 509;

    private byte[] _buffer = new byte[128];
    private int _length;

    public StunMessageWriter(StunMethod method, StunClass messageClass, StunTransactionId transactionId)
    {
        Method = method;
        Class = messageClass;
        TransactionId = transactionId;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer, StunMessageType.Encode(method, messageClass));
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(4), StunHeader.MagicCookie);
        transactionId.WriteTo(_buffer.AsSpan(8));
        _length = StunHeader.Size;
        UpdateLength();
    }

    public StunMethod Method { get; }

    public StunClass Class { get; }

    public StunTransactionId TransactionId { get; }

    /// <summary>
    /// The octet used for padding. RFC 8489 §14 says zero on sending; RFC 5769 §2 notes receivers accept any
    /// value, and its first three vectors pad with spaces.
    /// </summary>
    public byte PaddingByte { get; set; }

    /// <summary>Octets written so far, header included.</summary>
    public int Length => _length;

    /// <summary>Starts a response to <paramref name="request"/>: same method and transaction ID (RFC 8489 §6.3.1.1).</summary>
    public static StunMessageWriter ResponseTo(StunMessage request, StunClass responseClass) =>
        new(request.Method, responseClass, request.TransactionId);

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    /// <summary>Appends an attribute with a raw value (any type, known or not).</summary>
    public StunMessageWriter AddAttribute(StunAttributeType type, ReadOnlySpan<byte> value)
    {
        var destination = Reserve(type, value.Length);
        value.CopyTo(destination);
        return this;
    }

    public StunMessageWriter AddMappedAddress(IPEndPoint endPoint) => AddAddress(StunAttributeType.MappedAddress, endPoint, xor: false);

    public StunMessageWriter AddXorMappedAddress(IPEndPoint endPoint) => AddAddress(StunAttributeType.XorMappedAddress, endPoint, xor: true);

    public StunMessageWriter AddAlternateServer(IPEndPoint endPoint) => AddAddress(StunAttributeType.AlternateServer, endPoint, xor: false);

    public StunMessageWriter AddXorPeerAddress(IPEndPoint endPoint) => AddAddress(StunAttributeType.XorPeerAddress, endPoint, xor: true);

    public StunMessageWriter AddXorRelayedAddress(IPEndPoint endPoint) => AddAddress(StunAttributeType.XorRelayedAddress, endPoint, xor: true);

    public StunMessageWriter AddUsername(string username) => AddText(StunAttributeType.Username, username, MaxUsernameLength);

    public StunMessageWriter AddRealm(string realm) => AddText(StunAttributeType.Realm, realm, MaxTextLength);

    public StunMessageWriter AddNonce(string nonce) => AddText(StunAttributeType.Nonce, nonce, MaxTextLength);

    public StunMessageWriter AddSoftware(string software) => AddText(StunAttributeType.Software, software, MaxTextLength);

    public StunMessageWriter AddAlternateDomain(string domain)
    {
        if (domain.Length > StunMessage.MaxDomainLength || !Ascii.IsValid(domain))
        {
            throw new ArgumentException("ALTERNATE-DOMAIN is at most 255 ASCII characters (RFC 8489 §14.16)", nameof(domain));
        }

        return AddAttribute(StunAttributeType.AlternateDomain, Encoding.ASCII.GetBytes(domain));
    }

    /// <summary>USERHASH: the 32-octet SHA-256 of "username:realm" (RFC 8489 §14.4).</summary>
    public StunMessageWriter AddUserHash(ReadOnlySpan<byte> userHash)
    {
        if (userHash.Length != 32)
        {
            throw new ArgumentException("USERHASH is 32 octets", nameof(userHash));
        }

        return AddAttribute(StunAttributeType.UserHash, userHash);
    }

    /// <summary>ERROR-CODE (RFC 8489 §14.8); a null reason takes the recommended phrase.</summary>
    public StunMessageWriter AddErrorCode(int code, string? reason = null)
    {
        var text = EncodeText(reason ?? StunErrorCode.DefaultReason(code), MaxTextLength, nameof(reason));
        if (!StunErrorCode.IsValidCode(code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), "STUN error codes are 300-699");
        }

        var v = Reserve(StunAttributeType.ErrorCode, 4 + text.Length);
        v[0] = 0;
        v[1] = 0;
        v[2] = (byte)(code / 100);
        v[3] = (byte)(code % 100);
        text.CopyTo(v[4..]);
        return this;
    }

    /// <summary>UNKNOWN-ATTRIBUTES: 16-bit types, padded as any attribute (RFC 8489 §14.13).</summary>
    public StunMessageWriter AddUnknownAttributes(IEnumerable<StunAttributeType> types)
    {
        var list = types.ToArray();
        var v = Reserve(StunAttributeType.UnknownAttributes, 2 * list.Length);
        for (int i = 0; i < list.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(v[(2 * i)..], (ushort)list[i]);
        }

        return this;
    }

    public StunMessageWriter AddPasswordAlgorithms(IEnumerable<StunPasswordAlgorithmEntry> algorithms)
    {
        var list = algorithms.ToArray();
        int length = list.Sum(a => 4 + a.Parameters.Length + StunAttribute.PaddingFor(a.Parameters.Length));
        var v = Reserve(StunAttributeType.PasswordAlgorithms, length);
        int at = 0;
        foreach (var entry in list)
        {
            at += WriteAlgorithm(v[at..], entry);
        }

        return this;
    }

    /// <summary>The raw value of a received PASSWORD-ALGORITHMS, echoed "with the same content" (RFC 8489 §9.2.5).</summary>
    public StunMessageWriter AddPasswordAlgorithms(ReadOnlySpan<byte> rawValue) =>
        AddAttribute(StunAttributeType.PasswordAlgorithms, rawValue);

    public StunMessageWriter AddPasswordAlgorithm(StunPasswordAlgorithmEntry algorithm)
    {
        var v = Reserve(StunAttributeType.PasswordAlgorithm, 4 + algorithm.Parameters.Length + StunAttribute.PaddingFor(algorithm.Parameters.Length));
        WriteAlgorithm(v, algorithm);
        return this;
    }

    public StunMessageWriter AddPriority(uint priority) => AddUInt32(StunAttributeType.Priority, priority);

    public StunMessageWriter AddUseCandidate() => AddAttribute(StunAttributeType.UseCandidate, []);

    public StunMessageWriter AddIceControlled(ulong tieBreaker) => AddUInt64(StunAttributeType.IceControlled, tieBreaker);

    public StunMessageWriter AddIceControlling(ulong tieBreaker) => AddUInt64(StunAttributeType.IceControlling, tieBreaker);

    /// <summary>CHANNEL-NUMBER: the number then 16 RFFU bits set to zero (RFC 8656 §18.1).</summary>
    public StunMessageWriter AddChannelNumber(ushort channel) => AddUInt32(StunAttributeType.ChannelNumber, (uint)channel << 16);

    /// <summary>LIFETIME in seconds (RFC 8656 §18.2).</summary>
    public StunMessageWriter AddLifetime(uint seconds) => AddUInt32(StunAttributeType.Lifetime, seconds);

    public StunMessageWriter AddData(ReadOnlySpan<byte> data) => AddAttribute(StunAttributeType.Data, data);

    public StunMessageWriter AddRequestedAddressFamily(StunAddressFamily family) =>
        AddUInt32(StunAttributeType.RequestedAddressFamily, (uint)family << 24);

    public StunMessageWriter AddAdditionalAddressFamily(StunAddressFamily family) =>
        AddUInt32(StunAttributeType.AdditionalAddressFamily, (uint)family << 24);

    /// <summary>EVEN-PORT: one octet, the R bit first (RFC 8656 §18.7).</summary>
    public StunMessageWriter AddEvenPort(bool reserveNext) => AddAttribute(StunAttributeType.EvenPort, [reserveNext ? (byte)0x80 : (byte)0]);

    /// <summary>REQUESTED-TRANSPORT: protocol number, then 24 RFFU bits (RFC 8656 §18.8); 17 = UDP.</summary>
    public StunMessageWriter AddRequestedTransport(byte protocol = 17) => AddUInt32(StunAttributeType.RequestedTransport, (uint)protocol << 24);

    public StunMessageWriter AddDontFragment() => AddAttribute(StunAttributeType.DontFragment, []);

    public StunMessageWriter AddReservationToken(ulong token) => AddUInt64(StunAttributeType.ReservationToken, token);

    /// <summary>ADDRESS-ERROR-CODE (RFC 8656 §18.12): family, reserved bits, class, number, reason.</summary>
    public StunMessageWriter AddAddressErrorCode(StunAddressFamily family, int code, string? reason = null)
    {
        var text = EncodeText(reason ?? StunErrorCode.DefaultReason(code), MaxTextLength, nameof(reason));
        if (!StunErrorCode.IsValidCode(code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), "STUN error codes are 300-699");
        }

        var v = Reserve(StunAttributeType.AddressErrorCode, 4 + text.Length);
        v[0] = (byte)family;
        v[1] = 0;
        v[2] = (byte)(code / 100);
        v[3] = (byte)(code % 100);
        text.CopyTo(v[4..]);
        return this;
    }

    /// <summary>ICMP (RFC 8656 §18.13): 16 reserved bits, type, code, error data.</summary>
    public StunMessageWriter AddIcmp(StunIcmp icmp)
    {
        var v = Reserve(StunAttributeType.Icmp, 8);
        v[0] = 0;
        v[1] = 0;
        v[2] = icmp.Type;
        v[3] = icmp.Code;
        BinaryPrimitives.WriteUInt32BigEndian(v[4..], icmp.ErrorData);
        return this;
    }

    /// <summary>
    /// MESSAGE-INTEGRITY: HMAC-SHA1 over the message so far with the length pointing past this attribute
    /// (RFC 8489 §14.5).
    /// </summary>
    public StunMessageWriter AddMessageIntegrity(ReadOnlySpan<byte> key)
    {
        var hmac = StunMessageIntegrity.Compute(_buffer.AsSpan(0, _length), key, StunAttributeType.MessageIntegrity, StunMessageIntegrity.Sha1Length);
        return AddAttribute(StunAttributeType.MessageIntegrity, hmac);
    }

    /// <summary>
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), truncated to <paramref name="length"/> octets (16-32, a multiple
    /// of 4; full 32 unless the usage allows truncation).
    /// </summary>
    public StunMessageWriter AddMessageIntegritySha256(ReadOnlySpan<byte> key, int length = StunMessageIntegrity.Sha256MaxLength)
    {
        if (length is < StunMessageIntegrity.Sha256MinLength or > StunMessageIntegrity.Sha256MaxLength || (length & 3) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "16 to 32 octets, a multiple of 4 (RFC 8489 §14.6)");
        }

        var hmac = StunMessageIntegrity.Compute(_buffer.AsSpan(0, _length), key, StunAttributeType.MessageIntegritySha256, length);
        return AddAttribute(StunAttributeType.MessageIntegritySha256, hmac.AsSpan(0, length));
    }

    /// <summary>FINGERPRINT, the last attribute: CRC-32 of the message so far XOR 0x5354554e (RFC 8489 §14.7).</summary>
    public StunMessageWriter AddFingerprint()
    {
        var v = Reserve(StunAttributeType.Fingerprint, 4);
        uint crc = StunFingerprint.Compute(_buffer.AsSpan(0, _length - StunFingerprint.AttributeSize));
        BinaryPrimitives.WriteUInt32BigEndian(v, crc);
        return this;
    }

    private StunMessageWriter AddAddress(StunAttributeType type, IPEndPoint endPoint, bool xor)
    {
        var v = Reserve(type, StunAddressCodec.ValueLength(endPoint));
        StunAddressCodec.Encode(v, endPoint, xor, TransactionId);
        return this;
    }

    private StunMessageWriter AddText(StunAttributeType type, string text, int maxLength) =>
        AddAttribute(type, EncodeText(text, maxLength, nameof(text)));

    private StunMessageWriter AddUInt32(StunAttributeType type, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(Reserve(type, 4), value);
        return this;
    }

    private StunMessageWriter AddUInt64(StunAttributeType type, ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(Reserve(type, 8), value);
        return this;
    }

    private static byte[] EncodeText(string text, int maxLength, string parameterName)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > maxLength)
        {
            throw new ArgumentException($"at most {maxLength} UTF-8 octets (RFC 8489 §14)", parameterName);
        }

        return bytes;
    }

    private static int WriteAlgorithm(Span<byte> destination, StunPasswordAlgorithmEntry entry)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)entry.Algorithm);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)entry.Parameters.Length);
        entry.Parameters.Span.CopyTo(destination[4..]);
        int padding = StunAttribute.PaddingFor(entry.Parameters.Length);
        destination.Slice(4 + entry.Parameters.Length, padding).Clear();
        return 4 + entry.Parameters.Length + padding;
    }

    /// <summary>Writes the TLV header and padding, updates the header length, returns the value span to fill.</summary>
    private Span<byte> Reserve(StunAttributeType type, int valueLength)
    {
        if (valueLength > ushort.MaxValue)
        {
            throw new ArgumentException("an attribute value is at most 65535 octets", nameof(valueLength));
        }

        int padding = StunAttribute.PaddingFor(valueLength);
        int total = 4 + valueLength + padding;
        if (_length - StunHeader.Size + total > StunHeader.MaxLength)
        {
            throw new InvalidOperationException("a STUN message body is at most 65532 octets");
        }

        if (_length + total > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + total));
        }

        var span = _buffer.AsSpan(_length, total);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)valueLength);
        span.Slice(4 + valueLength, padding).Fill(PaddingByte);
        _length += total;
        UpdateLength();
        return span.Slice(4, valueLength);
    }

    private void UpdateLength() => BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(2), (ushort)(_length - StunHeader.Size));
}
