using System.Buffers.Binary;
using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Tests.Stun;

public class StunCodecTests
{
    private static readonly StunTransactionId Tx = new(0x0102030405060708, 0x090A0B0C);

    [Theory]
    [InlineData(StunMethod.Binding, StunClass.Request, 0x0001)]
    [InlineData(StunMethod.Binding, StunClass.Indication, 0x0011)]
    [InlineData(StunMethod.Binding, StunClass.SuccessResponse, 0x0101)]
    [InlineData(StunMethod.Binding, StunClass.ErrorResponse, 0x0111)]
    [InlineData(StunMethod.Allocate, StunClass.Request, 0x0003)]
    [InlineData(StunMethod.Allocate, StunClass.SuccessResponse, 0x0103)]
    [InlineData(StunMethod.Allocate, StunClass.ErrorResponse, 0x0113)]
    [InlineData(StunMethod.Send, StunClass.Indication, 0x0016)]
    [InlineData(StunMethod.Data, StunClass.Indication, 0x0017)]
    [InlineData(StunMethod.ChannelBind, StunClass.Request, 0x0009)]
    public void MessageTypeInterleavesMethodAndClassBits(StunMethod method, StunClass cls, int wire)
    {
        // RFC 8489 §5 Figure 3.
        Assert.Equal(wire, StunMessageType.Encode(method, cls));
        Assert.Equal((method, cls), StunMessageType.Decode((ushort)wire));
    }

    [Fact]
    public void EveryMethodAndClassRoundTrips()
    {
        for (int m = 0; m <= StunMessageType.MaxMethod; m++)
        {
            foreach (var c in Enum.GetValues<StunClass>())
            {
                ushort type = StunMessageType.Encode((StunMethod)m, c);
                Assert.Equal(0, type & 0xC000);
                Assert.Equal(((StunMethod)m, c), StunMessageType.Decode(type));
            }
        }
    }

    [Fact]
    public void EveryAttributeRoundTrips()
    {
        var v4 = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40000);
        var v6 = new IPEndPoint(IPAddress.Parse("2001:db8::1:2"), 3478);
        var userHash = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var w = new StunMessageWriter(StunMethod.Allocate, StunClass.SuccessResponse, Tx)
            .AddMappedAddress(v4)
            .AddXorMappedAddress(v6)
            .AddAlternateServer(v6)
            .AddAlternateDomain("turn.example.net")
            .AddUsername("user")
            .AddUserHash(userHash)
            .AddRealm("hipnat.test")
            .AddNonce("obMatJos2gAAAnonce")
            .AddSoftware("hipnat test")
            .AddErrorCode(438, "Stale Nonce")
            .AddUnknownAttributes([(StunAttributeType)0x7001, (StunAttributeType)0x7002, (StunAttributeType)0x7003])
            .AddPasswordAlgorithms([new StunPasswordAlgorithmEntry(StunPasswordAlgorithm.Sha256), new StunPasswordAlgorithmEntry(StunPasswordAlgorithm.Md5, new byte[] { 9, 8, 7 })])
            .AddPasswordAlgorithm(new StunPasswordAlgorithmEntry(StunPasswordAlgorithm.Sha256))
            .AddPriority(0x6e0001ff)
            .AddUseCandidate()
            .AddIceControlled(1)
            .AddIceControlling(ulong.MaxValue)
            .AddChannelNumber(0x4001)
            .AddLifetime(600)
            .AddXorPeerAddress(v4)
            .AddXorPeerAddress(v6)
            .AddData([1, 2, 3, 4, 5])
            .AddXorRelayedAddress(v4)
            .AddXorRelayedAddress(v6)
            .AddRequestedAddressFamily(StunAddressFamily.IPv6)
            .AddEvenPort(true)
            .AddRequestedTransport()
            .AddDontFragment()
            .AddReservationToken(0x1122334455667788)
            .AddAdditionalAddressFamily(StunAddressFamily.IPv6)
            .AddAddressErrorCode(StunAddressFamily.IPv6, 440)
            .AddIcmp(new StunIcmp(3, 4, 1400))
            .AddFingerprint();

        Assert.Equal(StunError.None, StunMessage.TryParse(w.ToArray(), out var m));
        Assert.NotNull(m);
        Assert.Equal(StunMethod.Allocate, m.Method);
        Assert.Equal(StunClass.SuccessResponse, m.Class);
        Assert.Equal(Tx, m.TransactionId);
        Assert.Equal(v4, m.MappedAddress);
        Assert.Equal(v6, m.XorMappedAddress);
        Assert.Equal(v6, m.AlternateServer);
        Assert.Equal("turn.example.net", m.AlternateDomain);
        Assert.Equal("user", m.Username);
        Assert.Equal(userHash, m.UserHash);
        Assert.Equal("hipnat.test", m.Realm);
        Assert.Equal("obMatJos2gAAAnonce", m.Nonce);
        Assert.Equal("hipnat test", m.Software);
        Assert.Equal(new StunErrorCode(438, "Stale Nonce"), m.ErrorCode);
        Assert.Equal(new ushort[] { 0x7001, 0x7002, 0x7003 }, m.UnknownAttributes);
        Assert.Equal(2, m.PasswordAlgorithms!.Count);
        Assert.Equal(StunPasswordAlgorithm.Sha256, m.PasswordAlgorithms[0].Algorithm);
        Assert.Equal(new StunPasswordAlgorithmEntry(StunPasswordAlgorithm.Md5, new byte[] { 9, 8, 7 }), m.PasswordAlgorithms[1]);
        Assert.Equal(new StunPasswordAlgorithmEntry(StunPasswordAlgorithm.Sha256), m.PasswordAlgorithm);
        Assert.Equal(0x6e0001ffu, m.Priority);
        Assert.True(m.UseCandidate);
        Assert.Equal(1ul, m.IceControlled);
        Assert.Equal(ulong.MaxValue, m.IceControlling);
        Assert.Equal((ushort)0x4001, m.ChannelNumber);
        Assert.Equal(600u, m.Lifetime);
        Assert.Equal([v4, v6], m.XorPeerAddresses);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, m.Data!.Value.ToArray());
        Assert.Equal([v4, v6], m.XorRelayedAddresses);
        Assert.Equal(StunAddressFamily.IPv6, m.RequestedAddressFamily);
        Assert.True(m.EvenPort);
        Assert.Equal((byte)17, m.RequestedTransport);
        Assert.True(m.DontFragment);
        Assert.Equal(0x1122334455667788ul, m.ReservationToken);
        Assert.Equal(StunAddressFamily.IPv6, m.AdditionalAddressFamily);
        Assert.Equal(new StunAddressErrorCode(StunAddressFamily.IPv6, 440, "Address Family not Supported"), m.AddressErrorCode);
        Assert.Equal(new StunIcmp(3, 4, 1400), m.Icmp);
        Assert.True(m.HasFingerprint);
        Assert.Empty(m.UnknownComprehensionRequired);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 3)]
    [InlineData(2, 2)]
    [InlineData(3, 1)]
    [InlineData(4, 0)]
    [InlineData(5, 3)]
    public void ValuesArePaddedToFourOctetsAndPaddingIsIgnored(int length, int padding)
    {
        var data = Enumerable.Repeat((byte)0xAB, length).ToArray();
        var w = new StunMessageWriter(StunMethod.Send, StunClass.Indication, Tx) { PaddingByte = 0xEE };
        w.AddData(data).AddLifetime(7);
        var bytes = w.ToArray();
        Assert.Equal(StunHeader.Size + 4 + length + padding + 8, bytes.Length);
        Assert.All(bytes.AsSpan(StunHeader.Size + 4 + length, padding).ToArray(), b => Assert.Equal(0xEE, b));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2)) % 4);
        Assert.Equal(StunError.None, StunMessage.TryParse(bytes, out var m));
        Assert.Equal(data, m!.Data!.Value.ToArray());
        Assert.Equal(7u, m.Lifetime);
    }

    [Fact]
    public void XorAddressesAreObfuscated()
    {
        // RFC 8489 §14.2: X-Port is the port XOR 0x2112; the IPv4 address is XORed with the magic cookie.
        var bytes = new StunMessageWriter(StunMethod.Binding, StunClass.SuccessResponse, Tx)
            .AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853)).ToArray();
        Assert.Equal("00200008" + "0001a147" + "e112a643", Convert.ToHexStringLower(bytes.AsSpan(20)));
    }

    [Fact]
    public void Ipv4MappedAddressesAreWrittenAsIpv4()
    {
        var mapped = new IPEndPoint(IPAddress.Parse("192.0.2.1").MapToIPv6(), 1234);
        var bytes = new StunMessageWriter(StunMethod.Binding, StunClass.SuccessResponse, Tx).AddXorMappedAddress(mapped).ToArray();
        Assert.Equal(StunError.None, StunMessage.TryParse(bytes, out var m));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 1234), m!.XorMappedAddress);
    }

    [Fact]
    public void UnknownComprehensionRequiredAttributesAreReportedAndOptionalOnesIgnored()
    {
        var bytes = new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx)
            .AddAttribute((StunAttributeType)0x7F00, [1])
            .AddAttribute((StunAttributeType)0xC123, [1, 2])
            .AddAttribute((StunAttributeType)0x0003, [])
            .AddAttribute((StunAttributeType)0x7F00, [2])
            .ToArray();
        Assert.Equal(StunError.None, StunMessage.TryParse(bytes, out var m));
        Assert.Equal([(StunAttributeType)0x7F00, (StunAttributeType)0x0003], m!.UnknownComprehensionRequired);
        Assert.Equal(4, m.Attributes.Count);
    }

    [Fact]
    public void AttributesAfterMessageIntegrityAreIgnoredExceptSha256AndFingerprint()
    {
        var key = StunCredentials.ShortTermKey("pw");
        var bytes = new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx)
            .AddUsername("a:b")
            .AddMessageIntegrity(key)
            .AddSoftware("ignored")
            .AddAttribute((StunAttributeType)0x7F00, [1])
            .AddMessageIntegritySha256(key)
            .AddPriority(5)
            .AddFingerprint()
            .ToArray();
        Assert.Equal(StunError.None, StunMessage.TryParse(bytes, out var m));
        Assert.Null(m!.Software);
        Assert.Null(m.Priority);
        Assert.Empty(m.UnknownComprehensionRequired);
        Assert.True(m.HasMessageIntegrity);
        Assert.True(m.HasMessageIntegritySha256);
        Assert.True(m.HasFingerprint);
        Assert.Equal(StunError.None, m.VerifyMessageIntegrity(key));
        Assert.Equal(StunError.None, m.VerifyMessageIntegritySha256(key));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(16)]
    [InlineData(20)]
    public void MessageIntegritySha256RoundTripsAtEveryAllowedLength(int length)
    {
        var key = StunCredentials.LongTermKey("u", "r", "p", StunPasswordAlgorithm.Sha256);
        Assert.Equal(32, key.Length);
        var bytes = new StunMessageWriter(StunMethod.Refresh, StunClass.Request, Tx)
            .AddLifetime(0).AddMessageIntegritySha256(key, length).AddFingerprint().ToArray();
        Assert.Equal(StunError.None, StunMessage.TryParse(bytes, out var m));
        Assert.Equal(StunError.None, m!.VerifyMessageIntegritySha256(key));
        Assert.Equal(StunError.None, m.VerifyIntegrity(key));
        Assert.Equal(StunError.MissingMessageIntegrity, m.VerifyMessageIntegrity(key));
        key[5] ^= 0x40;
        Assert.Equal(StunError.BadMessageIntegrity, m.VerifyMessageIntegritySha256(key));
    }

    [Fact]
    public void FingerprintMustBeLastAndCorrect()
    {
        var good = new StunMessageWriter(StunMethod.Binding, StunClass.Indication, Tx).AddFingerprint().ToArray();
        Assert.True(StunFingerprint.EndsWithValidFingerprint(good));
        Assert.Equal(StunError.None, StunMessage.TryParse(good, out _));

        var bad = (byte[])good.Clone();
        bad[^1] ^= 1;
        Assert.False(StunFingerprint.EndsWithValidFingerprint(bad));
        Assert.Equal(StunError.BadFingerprint, StunMessage.TryParse(bad, out _));

        // A FINGERPRINT with a correct CRC (over the final length) that is followed by another attribute.
        var notLast = new StunMessageWriter(StunMethod.Binding, StunClass.Indication, Tx).AddFingerprint().AddSoftware("x").ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(notLast.AsSpan(StunHeader.Size + 4), StunFingerprint.Compute(notLast.AsSpan(0, StunHeader.Size)));
        Assert.Equal(StunError.FingerprintNotLast, StunMessage.TryParse(notLast, out _));
    }

    [Fact]
    public void Crc32MatchesTheKnownCheckValue() =>
        // The CRC-32 of "123456789" is 0xCBF43926 (the check value of the ITU V.42 / RFC 1952 CRC).
        Assert.Equal(0xCBF43926u, StunFingerprint.Crc32("123456789"u8));

    [Fact]
    public void HeaderErrorsAreTyped()
    {
        var good = new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx).AddSoftware("abc").ToArray();
        Assert.Equal(StunError.None, StunMessage.TryParse(good, out _));
        Assert.Equal(StunError.TooShort, StunMessage.TryParse(good.AsSpan(0, 19), out _));

        var notStun = (byte[])good.Clone();
        notStun[0] |= 0x80;
        Assert.Equal(StunError.NotStun, StunMessage.TryParse(notStun, out _));

        var cookie = (byte[])good.Clone();
        cookie[5] ^= 1;
        Assert.Equal(StunError.BadMagicCookie, StunMessage.TryParse(cookie, out _));

        Assert.Equal(StunError.BadLength, StunMessage.TryParse(good.AsSpan(0, good.Length - 4), out _));
        var odd = (byte[])good.Clone();
        odd[3] = 5;
        Assert.Equal(StunError.BadLength, StunMessage.TryParse(odd, out _));

        var truncated = (byte[])good.Clone();
        truncated[23] = 0x20; // SOFTWARE claims 32 octets in an 8-octet body
        Assert.Equal(StunError.AttributeTruncated, StunMessage.TryParse(truncated, out _));
    }

    public static TheoryData<ushort, string> InvalidValues => new()
    {
        { (ushort)StunAttributeType.XorMappedAddress, "0001a147e112a6" },     // IPv4 family, 6 octets
        { (ushort)StunAttributeType.MappedAddress, "00020001c0000201" },      // IPv6 family, IPv4 length
        { (ushort)StunAttributeType.MessageIntegrity, "00" },
        { (ushort)StunAttributeType.MessageIntegritySha256, "000102030405060708090a0b" }, // 12 octets
        { (ushort)StunAttributeType.ErrorCode, "00000263" },                  // class 2
        { (ushort)StunAttributeType.ErrorCode, "00000464" },                  // number 100
        { (ushort)StunAttributeType.ErrorCode, "000004" },
        { (ushort)StunAttributeType.Username, "c3" },                         // broken UTF-8
        { (ushort)StunAttributeType.UserHash, "0011" },
        { (ushort)StunAttributeType.UnknownAttributes, "000100" },
        { (ushort)StunAttributeType.PasswordAlgorithms, "00020004" },         // parameters missing
        { (ushort)StunAttributeType.PasswordAlgorithm, "0002000000010000" },  // two entries
        { (ushort)StunAttributeType.Priority, "0001" },
        { (ushort)StunAttributeType.UseCandidate, "00" },
        { (ushort)StunAttributeType.IceControlling, "00010203" },
        { (ushort)StunAttributeType.ChannelNumber, "4000" },
        { (ushort)StunAttributeType.Lifetime, "000258" },
        { (ushort)StunAttributeType.EvenPort, "8000" },
        { (ushort)StunAttributeType.RequestedTransport, "11" },
        { (ushort)StunAttributeType.DontFragment, "00" },
        { (ushort)StunAttributeType.ReservationToken, "0102" },
        { (ushort)StunAttributeType.Icmp, "00000304" },
        { (ushort)StunAttributeType.AlternateDomain, "ff" },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void MalformedKnownAttributesAreInvalid(ushort type, string valueHex)
    {
        var bytes = new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx)
            .AddAttribute((StunAttributeType)type, Convert.FromHexString(valueHex)).ToArray();
        Assert.Equal(StunError.InvalidAttribute, StunMessage.TryParse(bytes, out var m));
        Assert.Null(m);
    }

    [Fact]
    public void UnknownAddressFamilyIsIgnored()
    {
        // RFC 8489 §6.3.3: an unsupported family SHOULD be ignored.
        var bytes = new StunMessageWriter(StunMethod.Binding, StunClass.SuccessResponse, Tx)
            .AddAttribute(StunAttributeType.XorMappedAddress, Convert.FromHexString("00030001aabbccdd")).ToArray();
        Assert.Equal(StunError.None, StunMessage.TryParse(bytes, out var m));
        Assert.Null(m!.XorMappedAddress);
    }

    [Fact]
    public void OnlyTheFirstOccurrenceOfASingularAttributeCounts()
    {
        var bytes = new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx)
            .AddSoftware("first").AddSoftware("second").ToArray();
        Assert.Equal(StunError.None, StunMessage.TryParse(bytes, out var m));
        Assert.Equal("first", m!.Software);
    }

    [Fact]
    public void WriterRejectsOversizedText()
    {
        var w = new StunMessageWriter(StunMethod.Binding, StunClass.Request, Tx);
        Assert.Throws<ArgumentException>(() => w.AddUsername(new string('u', 509)));
        Assert.Throws<ArgumentException>(() => w.AddSoftware(new string('s', 510)));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.AddErrorCode(299));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.AddMessageIntegritySha256([1], 12));
        Assert.Equal(StunHeader.Size, w.Length);
    }

    [Fact]
    public void NonceCookieCarriesTheSecurityFeatures()
    {
        // RFC 8489 §9.2: "obMatJos2" + base64 of the 24 feature bits, bit 0 the most significant.
        Assert.Equal("obMatJos2AAAA", StunNonceCookie.Create(StunSecurityFeatures.None));
        Assert.Equal("obMatJos2gAAA", StunNonceCookie.Create(StunSecurityFeatures.PasswordAlgorithms));
        Assert.Equal("obMatJos2wAAA", StunNonceCookie.Create(StunSecurityFeatures.PasswordAlgorithms | StunSecurityFeatures.UsernameAnonymity));
        Assert.True(StunNonceCookie.TryParse("obMatJos2QAAAxyz", out var features));
        Assert.Equal(StunSecurityFeatures.UsernameAnonymity, features);
        Assert.False(StunNonceCookie.TryParse("f//499k954d6OL34oL9FSTvy64sA", out _));
        Assert.False(StunNonceCookie.TryParse("obMatJos2!!!!", out _));
        Assert.False(StunNonceCookie.TryParse(null, out _));
    }

    [Theory]
    [InlineData("I\u00ADX", "IX")]                 // B.1 soft hyphen mapped to nothing
    [InlineData("user", "user")]
    [InlineData("a\u00A0b", "a b")]               // C.1.2 non-ASCII space to SPACE
    [InlineData("\uFF21\uFF22", "AB")]            // full-width letters
    [InlineData("\u00AA", "a")]
    [InlineData("\u2168", "IX")]
    public void SaslPrepMapsAndNormalizes(string input, string expected) => Assert.Equal(expected, SaslPrep.Prepare(input));

    [Theory]
    [InlineData("a\u0007b")]                       // C.2.1 control
    [InlineData("\uE000")]                          // C.3 private use
    [InlineData("a\u200Eb")]                        // C.8 display change
    [InlineData("\u05D0a\u05D1")]                   // RandALCat mixed with LCat
    [InlineData("\u05D0" + "1")]                    // RandALCat must end the string
    public void SaslPrepRejectsProhibitedOutput(string input)
    {
        Assert.False(SaslPrep.TryPrepare(input, out _));
        Assert.Throws<ArgumentException>(() => StunCredentials.ShortTermKey(input));
    }

    [Fact]
    public void SaslPrepRejectsALoneSurrogate() => Assert.False(SaslPrep.TryPrepare("a\uD800b", out _));

    [Fact]
    public void SaslPrepAcceptsRightToLeftOnlyText() => Assert.True(SaslPrep.TryPrepare("\u05D0\u05D1", out _));
}
