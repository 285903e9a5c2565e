using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Unicode;

namespace Hipnat.Nat.Stun;

/// <summary>
/// A parsed STUN message (RFC 8489 §5, §14) with every known attribute decoded and checked. Built only by
/// <see cref="TryParse"/>, which never throws on untrusted input: it returns a <see cref="StunError"/>.
/// Unknown comprehension-required attributes do not fail the parse; they are listed in
/// <see cref="UnknownComprehensionRequired"/> so a server can answer 420 (RFC 8489 §6.3.1).
/// Only the first occurrence of a singular attribute is decoded (RFC 8489 §14); attributes after
/// MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored (RFC 8489 §9).
/// </summary>
public sealed class StunMessage
{
    /// <summary>Maximum octets a UTF-8 text attribute may have on receipt (RFC 8489 §14.3, §14.8-§14.10, §14.14).</summary>
    public const int MaxTextLength = 763;

    /// <summary>Maximum octets of ALTERNATE-DOMAIN (RFC 8489 §14.16).</summary>
    public const int MaxDomainLength = 255;

    private readonly byte[] _raw;
    private readonly List<StunAttribute> _attributes = [];
    private readonly List<StunAttributeType> _unknown = [];
    private readonly List<IPEndPoint> _xorPeerAddresses = [];
    private readonly List<IPEndPoint> _xorRelayedAddresses = [];
    private readonly HashSet<StunAttributeType> _seen = [];
    private int _integrityOffset = -1;
    private int _integritySha256Offset = -1;

    private StunMessage(byte[] raw, StunHeader header)
    {
        _raw = raw;
        Header = header;
    }

    public StunHeader Header { get; }

    public StunMethod Method => Header.Method;

    public StunClass Class => Header.Class;

    public StunTransactionId TransactionId => Header.TransactionId;

    /// <summary>The whole message as received.</summary>
    public ReadOnlyMemory<byte> Raw => _raw;

    /// <summary>Attributes in wire order, excluding those ignored after the integrity attributes.</summary>
    public IReadOnlyList<StunAttribute> Attributes => _attributes;

    /// <summary>Unknown comprehension-required attribute types, in order, without repeats (RFC 8489 §6.3).</summary>
    public IReadOnlyList<StunAttributeType> UnknownComprehensionRequired => _unknown;

    public IPEndPoint? MappedAddress { get; private set; }

    public IPEndPoint? XorMappedAddress { get; private set; }

    public IPEndPoint? AlternateServer { get; private set; }

    public string? AlternateDomain { get; private set; }

    public string? Username { get; private set; }

    public byte[]? UserHash { get; private set; }

    public string? Realm { get; private set; }

    public string? Nonce { get; private set; }

    public string? Software { get; private set; }

    public StunErrorCode? ErrorCode { get; private set; }

    /// <summary>Types listed in an UNKNOWN-ATTRIBUTES attribute (RFC 8489 §14.13); empty when absent.</summary>
    public IReadOnlyList<ushort> UnknownAttributes { get; private set; } = [];

    public IReadOnlyList<StunPasswordAlgorithmEntry>? PasswordAlgorithms { get; private set; }

    /// <summary>The raw PASSWORD-ALGORITHMS value, for the "same content" checks of RFC 8489 §9.2.4-§9.2.5.</summary>
    public ReadOnlyMemory<byte>? PasswordAlgorithmsValue { get; private set; }

    public StunPasswordAlgorithmEntry? PasswordAlgorithm { get; private set; }

    public bool HasMessageIntegrity => _integrityOffset >= 0;

    public bool HasMessageIntegritySha256 => _integritySha256Offset >= 0;

    public bool HasFingerprint { get; private set; }

    // RFC 8445 §16.1
    public uint? Priority { get; private set; }

    public bool UseCandidate { get; private set; }

    public ulong? IceControlled { get; private set; }

    public ulong? IceControlling { get; private set; }

    // RFC 8656 §18
    public ushort? ChannelNumber { get; private set; }

    /// <summary>LIFETIME in seconds (RFC 8656 §18.2).</summary>
    public uint? Lifetime { get; private set; }

    /// <summary>Every XOR-PEER-ADDRESS (CreatePermission may carry several, RFC 8656 §10.1).</summary>
    public IReadOnlyList<IPEndPoint> XorPeerAddresses => _xorPeerAddresses;

    public IPEndPoint? XorPeerAddress => _xorPeerAddresses.Count > 0 ? _xorPeerAddresses[0] : null;

    /// <summary>Every XOR-RELAYED-ADDRESS (two for a dual allocation, RFC 8656 §7.1).</summary>
    public IReadOnlyList<IPEndPoint> XorRelayedAddresses => _xorRelayedAddresses;

    public IPEndPoint? XorRelayedAddress => _xorRelayedAddresses.Count > 0 ? _xorRelayedAddresses[0] : null;

    public ReadOnlyMemory<byte>? Data { get; private set; }

    public StunAddressFamily? RequestedAddressFamily { get; private set; }

    public StunAddressFamily? AdditionalAddressFamily { get; private set; }

    /// <summary>EVEN-PORT: null when absent, else its R bit (RFC 8656 §18.7).</summary>
    public bool? EvenPort { get; private set; }

    /// <summary>REQUESTED-TRANSPORT protocol number (17 = UDP, RFC 8656 §18.8).</summary>
    public byte? RequestedTransport { get; private set; }

    public bool DontFragment { get; private set; }

    public ulong? ReservationToken { get; private set; }

    public StunAddressErrorCode? AddressErrorCode { get; private set; }

    public StunIcmp? Icmp { get; private set; }

    /// <summary>
    /// Demultiplexing test for the shared HIP UDP port (RFC 8489 §6, RFC 5770 §5): first two bits zero, magic
    /// cookie, consistent length. See <see cref="StunHeader.IsStun"/>.
    /// </summary>
    public static bool IsStun(ReadOnlySpan<byte> datagram) => StunHeader.IsStun(datagram);

    public bool HasAttribute(StunAttributeType type) => _seen.Contains(type);

    /// <summary>The first attribute of this type among <see cref="Attributes"/>.</summary>
    public bool TryGetAttribute(StunAttributeType type, out StunAttribute attribute)
    {
        foreach (var a in _attributes)
        {
            if (a.Type == type)
            {
                attribute = a;
                return true;
            }
        }

        attribute = default;
        return false;
    }

    /// <summary>Parses and checks a whole datagram. Never throws.</summary>
    public static StunError TryParse(ReadOnlySpan<byte> datagram, out StunMessage? message)
    {
        message = null;
        var error = StunHeader.TryRead(datagram, out var header);
        if (error != StunError.None)
        {
            return error;
        }

        var parsed = new StunMessage(datagram.ToArray(), header);
        error = parsed.ParseAttributes();
        if (error != StunError.None)
        {
            return error;
        }

        message = parsed;
        return StunError.None;
    }

    /// <summary>
    /// Checks MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) with <paramref name="key"/>.
    /// </summary>
    public StunError VerifyMessageIntegrity(ReadOnlySpan<byte> key) =>
        VerifyAt(_integrityOffset, key, StunAttributeType.MessageIntegrity);

    /// <summary>Checks MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6) with <paramref name="key"/>.</summary>
    public StunError VerifyMessageIntegritySha256(ReadOnlySpan<byte> key) =>
        VerifyAt(_integritySha256Offset, key, StunAttributeType.MessageIntegritySha256);

    /// <summary>
    /// Checks MESSAGE-INTEGRITY-SHA256 if present, otherwise MESSAGE-INTEGRITY (the order of RFC 8489 §9.1.3, §9.2.4).
    /// </summary>
    public StunError VerifyIntegrity(ReadOnlySpan<byte> key) => HasMessageIntegritySha256
        ? VerifyMessageIntegritySha256(key)
        : VerifyMessageIntegrity(key);

    private StunError VerifyAt(int offset, ReadOnlySpan<byte> key, StunAttributeType type)
    {
        if (offset < 0)
        {
            return StunError.MissingMessageIntegrity;
        }

        int valueLength = BinaryPrimitives.ReadUInt16BigEndian(_raw.AsSpan(offset + 2));
        var received = _raw.AsSpan(offset + 4, valueLength);
        return StunMessageIntegrity.Verify(_raw.AsSpan(0, offset), key, type, received)
            ? StunError.None
            : StunError.BadMessageIntegrity;
    }

    private StunError ParseAttributes()
    {
        int offset = StunHeader.Size;
        bool afterIntegrity = false;
        bool afterIntegritySha256 = false;
        while (offset < _raw.Length)
        {
            if (HasFingerprint)
            {
                // RFC 8489 §14.7: FINGERPRINT MUST be the last attribute.
                return StunError.FingerprintNotLast;
            }

            if (_raw.Length - offset < 4)
            {
                return StunError.AttributeTruncated;
            }

            var type = (StunAttributeType)BinaryPrimitives.ReadUInt16BigEndian(_raw.AsSpan(offset));
            int length = BinaryPrimitives.ReadUInt16BigEndian(_raw.AsSpan(offset + 2));
            int padded = length + StunAttribute.PaddingFor(length);
            if (_raw.Length - offset - 4 < padded)
            {
                return StunError.AttributeTruncated;
            }

            int attributeOffset = offset;
            offset += 4 + padded;
            var value = new ReadOnlyMemory<byte>(_raw, attributeOffset + 4, length);

            if (type == StunAttributeType.Fingerprint)
            {
                if (length != 4)
                {
                    return StunError.InvalidAttribute;
                }

                // RFC 8489 §7, §14.7: CRC-32 of everything before the attribute, XOR 0x5354554e.
                uint expected = StunFingerprint.Compute(_raw.AsSpan(0, attributeOffset));
                if (BinaryPrimitives.ReadUInt32BigEndian(value.Span) != expected)
                {
                    return StunError.BadFingerprint;
                }

                HasFingerprint = true;
                _seen.Add(type);
                _attributes.Add(new StunAttribute(type, value));
                continue;
            }

            // RFC 8489 §9: ignore everything after MESSAGE-INTEGRITY except MESSAGE-INTEGRITY-SHA256 and
            // FINGERPRINT, and everything after MESSAGE-INTEGRITY-SHA256 (without a MESSAGE-INTEGRITY) except FINGERPRINT.
            if (afterIntegritySha256 || (afterIntegrity && type != StunAttributeType.MessageIntegritySha256))
            {
                continue;
            }

            bool first = _seen.Add(type);
            _attributes.Add(new StunAttribute(type, value));

            switch (type)
            {
                case StunAttributeType.MessageIntegrity:
                    if (length != StunMessageIntegrity.Sha1Length)
                    {
                        return StunError.InvalidAttribute;
                    }

                    _integrityOffset = attributeOffset;
                    afterIntegrity = true;
                    continue;

                case StunAttributeType.MessageIntegritySha256:
                    // RFC 8489 §14.6: 16 to 32 octets, a multiple of 4.
                    if (length is < StunMessageIntegrity.Sha256MinLength or > StunMessageIntegrity.Sha256MaxLength || (length & 3) != 0)
                    {
                        return StunError.InvalidAttribute;
                    }

                    _integritySha256Offset = attributeOffset;
                    afterIntegritySha256 = true;
                    continue;
            }

            bool repeatable = type is StunAttributeType.XorPeerAddress or StunAttributeType.XorRelayedAddress;
            if (!first && !repeatable)
            {
                // RFC 8489 §14: only the first occurrence needs to be processed.
                continue;
            }

            var error = DecodeAttribute(type, value.Span, out bool known);
            if (error != StunError.None)
            {
                return error;
            }

            if (!known && StunAttribute.IsComprehensionRequiredType(type) && !_unknown.Contains(type))
            {
                _unknown.Add(type);
            }
        }

        return StunError.None;
    }

    private StunError DecodeAttribute(StunAttributeType type, ReadOnlySpan<byte> v, out bool known)
    {
        known = true;
        switch (type)
        {
            case StunAttributeType.MappedAddress:
                return DecodeAddress(v, xor: false, endPoint => MappedAddress = endPoint);
            case StunAttributeType.XorMappedAddress:
                return DecodeAddress(v, xor: true, endPoint => XorMappedAddress = endPoint);
            case StunAttributeType.AlternateServer:
                return DecodeAddress(v, xor: false, endPoint => AlternateServer = endPoint);
            case StunAttributeType.XorPeerAddress:
                return DecodeAddress(v, xor: true, _xorPeerAddresses.Add);
            case StunAttributeType.XorRelayedAddress:
                return DecodeAddress(v, xor: true, _xorRelayedAddresses.Add);

            case StunAttributeType.Username:
                return DecodeText(v, MaxTextLength, text => Username = text);
            case StunAttributeType.Realm:
                return DecodeText(v, MaxTextLength, text => Realm = text);
            case StunAttributeType.Nonce:
                return DecodeText(v, MaxTextLength, text => Nonce = text);
            case StunAttributeType.Software:
                return DecodeText(v, MaxTextLength, text => Software = text);
            case StunAttributeType.AlternateDomain:
                if (v.Length > MaxDomainLength || !Ascii.IsValid(v))
                {
                    return StunError.InvalidAttribute;
                }

                AlternateDomain = Encoding.ASCII.GetString(v);
                return StunError.None;

            case StunAttributeType.UserHash:
                if (v.Length != 32)
                {
                    return StunError.InvalidAttribute;
                }

                UserHash = v.ToArray();
                return StunError.None;

            case StunAttributeType.ErrorCode:
                if (!TryDecodeCode(v, out int code, out string? reason))
                {
                    return StunError.InvalidAttribute;
                }

                ErrorCode = new StunErrorCode(code, reason!);
                return StunError.None;

            case StunAttributeType.UnknownAttributes:
                if ((v.Length & 1) != 0)
                {
                    return StunError.InvalidAttribute;
                }

                var types = new ushort[v.Length / 2];
                for (int i = 0; i < types.Length; i++)
                {
                    types[i] = BinaryPrimitives.ReadUInt16BigEndian(v[(2 * i)..]);
                }

                UnknownAttributes = types;
                return StunError.None;

            case StunAttributeType.PasswordAlgorithms:
            {
                var list = new List<StunPasswordAlgorithmEntry>();
                int at = 0;
                while (at < v.Length)
                {
                    if (!TryDecodeAlgorithm(v, ref at, out var entry))
                    {
                        return StunError.InvalidAttribute;
                    }

                    list.Add(entry);
                }

                PasswordAlgorithms = list;
                PasswordAlgorithmsValue = v.ToArray();
                return StunError.None;
            }

            case StunAttributeType.PasswordAlgorithm:
            {
                int at = 0;
                if (!TryDecodeAlgorithm(v, ref at, out var entry) || at != v.Length)
                {
                    return StunError.InvalidAttribute;
                }

                PasswordAlgorithm = entry;
                return StunError.None;
            }

            case StunAttributeType.Priority:
                if (v.Length != 4)
                {
                    return StunError.InvalidAttribute;
                }

                Priority = BinaryPrimitives.ReadUInt32BigEndian(v);
                return StunError.None;

            case StunAttributeType.UseCandidate:
                UseCandidate = true;
                return v.Length == 0 ? StunError.None : StunError.InvalidAttribute;

            case StunAttributeType.IceControlled:
            case StunAttributeType.IceControlling:
                if (v.Length != 8)
                {
                    return StunError.InvalidAttribute;
                }

                if (type == StunAttributeType.IceControlled)
                {
                    IceControlled = BinaryPrimitives.ReadUInt64BigEndian(v);
                }
                else
                {
                    IceControlling = BinaryPrimitives.ReadUInt64BigEndian(v);
                }

                return StunError.None;

            case StunAttributeType.ChannelNumber:
                if (v.Length != 4)
                {
                    return StunError.InvalidAttribute;
                }

                // RFC 8656 §18.1: the RFFU half is ignored on reception.
                ChannelNumber = BinaryPrimitives.ReadUInt16BigEndian(v);
                return StunError.None;

            case StunAttributeType.Lifetime:
                if (v.Length != 4)
                {
                    return StunError.InvalidAttribute;
                }

                Lifetime = BinaryPrimitives.ReadUInt32BigEndian(v);
                return StunError.None;

            case StunAttributeType.Data:
                Data = v.ToArray();
                return StunError.None;

            case StunAttributeType.RequestedAddressFamily:
            case StunAttributeType.AdditionalAddressFamily:
                if (v.Length != 4)
                {
                    return StunError.InvalidAttribute;
                }

                // RFC 8656 §18.6: the 24 reserved bits are ignored; an unsupported family is the server's 440, not a parse error.
                if (type == StunAttributeType.RequestedAddressFamily)
                {
                    RequestedAddressFamily = (StunAddressFamily)v[0];
                }
                else
                {
                    AdditionalAddressFamily = (StunAddressFamily)v[0];
                }

                return StunError.None;

            case StunAttributeType.EvenPort:
                if (v.Length != 1)
                {
                    return StunError.InvalidAttribute;
                }

                EvenPort = (v[0] & 0x80) != 0;
                return StunError.None;

            case StunAttributeType.RequestedTransport:
                if (v.Length != 4)
                {
                    return StunError.InvalidAttribute;
                }

                RequestedTransport = v[0];
                return StunError.None;

            case StunAttributeType.DontFragment:
                DontFragment = true;
                return v.Length == 0 ? StunError.None : StunError.InvalidAttribute;

            case StunAttributeType.ReservationToken:
                if (v.Length != 8)
                {
                    return StunError.InvalidAttribute;
                }

                ReservationToken = BinaryPrimitives.ReadUInt64BigEndian(v);
                return StunError.None;

            case StunAttributeType.AddressErrorCode:
                // RFC 8656 §18.12: Family, 13 reserved bits, Class, Number, reason.
                if (v.Length < 4 || !TryDecodeCode(v, out int addressCode, out string? addressReason))
                {
                    return StunError.InvalidAttribute;
                }

                AddressErrorCode = new StunAddressErrorCode((StunAddressFamily)v[0], addressCode, addressReason!);
                return StunError.None;

            case StunAttributeType.Icmp:
                if (v.Length != 8)
                {
                    return StunError.InvalidAttribute;
                }

                // RFC 8656 §18.13: 16 reserved bits, ICMP type, ICMP code, 4 octets of error data.
                Icmp = new StunIcmp(v[2], v[3], BinaryPrimitives.ReadUInt32BigEndian(v[4..]));
                return StunError.None;

            default:
                known = false;
                return StunError.None;
        }
    }

    private StunError DecodeAddress(ReadOnlySpan<byte> value, bool xor, Action<IPEndPoint> store)
    {
        var error = StunAddressCodec.TryDecode(value, xor, TransactionId, out var endPoint);
        if (error == StunError.None && endPoint is not null)
        {
            store(endPoint);
        }

        return error;
    }

    private static StunError DecodeText(ReadOnlySpan<byte> value, int maxLength, Action<string> store)
    {
        if (value.Length > maxLength || !Utf8.IsValid(value))
        {
            return StunError.InvalidAttribute;
        }

        store(Encoding.UTF8.GetString(value));
        return StunError.None;
    }

    /// <summary>ERROR-CODE layout (RFC 8489 §14.8): 21 reserved bits, 3-bit class 3-6, 8-bit number 0-99, reason.</summary>
    private static bool TryDecodeCode(ReadOnlySpan<byte> v, out int code, out string? reason)
    {
        code = 0;
        reason = null;
        if (v.Length < 4)
        {
            return false;
        }

        int errorClass = v[2] & 0x07;
        int number = v[3];
        var text = v[4..];
        if (errorClass is < 3 or > 6 || number > 99 || text.Length > MaxTextLength || !Utf8.IsValid(text))
        {
            return false;
        }

        code = (errorClass * 100) + number;
        reason = Encoding.UTF8.GetString(text);
        return true;
    }

    /// <summary>Algorithm (16 bits), parameters length (16 bits), parameters padded to 4 (RFC 8489 §14.11).</summary>
    private static bool TryDecodeAlgorithm(ReadOnlySpan<byte> v, ref int at, out StunPasswordAlgorithmEntry entry)
    {
        entry = default;
        if (v.Length - at < 4)
        {
            return false;
        }

        var algorithm = (StunPasswordAlgorithm)BinaryPrimitives.ReadUInt16BigEndian(v[at..]);
        int parametersLength = BinaryPrimitives.ReadUInt16BigEndian(v[(at + 2)..]);
        int padded = parametersLength + StunAttribute.PaddingFor(parametersLength);
        if (v.Length - at - 4 < padded)
        {
            return false;
        }

        entry = new StunPasswordAlgorithmEntry(algorithm, v.Slice(at + 4, parametersLength).ToArray());
        at += 4 + padded;
        return true;
    }
}
