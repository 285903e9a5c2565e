using System.Net;
using System.Text;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Tests.Stun;

/// <summary>RFC 5769 §2: every vector parses, verifies, and is rebuilt byte for byte by the writer.</summary>
public class Rfc5769VectorTests
{
    public static TheoryData<string> AllVectors => new() { "request", "ipv4", "ipv6", "long-term" };

    private static byte[] KeyFor(string name) => name == "long-term"
        ? StunCredentials.LongTermKey(Rfc5769Vectors.LongTermUsername, Rfc5769Vectors.LongTermRealm, Rfc5769Vectors.LongTermPassword)
        : StunCredentials.ShortTermKey(Rfc5769Vectors.ShortTermPassword);

    /// <summary>Builds the vector's message again from its parameters, with the vector's padding octet.</summary>
    private static byte[] Rebuild(string name)
    {
        var key = KeyFor(name);
        switch (name)
        {
            case "request":
            {
                var w = new StunMessageWriter(StunMethod.Binding, StunClass.Request, new StunTransactionId(Convert.FromHexString("b7e7a701bc34d686fa87dfae"))) { PaddingByte = 0x20 };
                w.AddSoftware("STUN test client").AddPriority(0x6e0001ff).AddIceControlled(0x932ff9b151263b36)
                    .AddUsername("evtj:h6vY").AddMessageIntegrity(key).AddFingerprint();
                return w.ToArray();
            }

            case "ipv4":
            case "ipv6":
            {
                var w = new StunMessageWriter(StunMethod.Binding, StunClass.SuccessResponse, new StunTransactionId(Convert.FromHexString("b7e7a701bc34d686fa87dfae"))) { PaddingByte = 0x20 };
                var address = name == "ipv4" ? IPAddress.Parse("192.0.2.1") : IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677");
                w.AddSoftware("test vector").AddXorMappedAddress(new IPEndPoint(address, 32853)).AddMessageIntegrity(key).AddFingerprint();
                return w.ToArray();
            }

            default:
            {
                var w = new StunMessageWriter(StunMethod.Binding, StunClass.Request, new StunTransactionId(Convert.FromHexString("78ad3433c6ad72c029da412e")));
                w.AddUsername(Rfc5769Vectors.LongTermUsername).AddNonce(Rfc5769Vectors.LongTermNonce).AddRealm(Rfc5769Vectors.LongTermRealm)
                    .AddMessageIntegrity(key);
                return w.ToArray();
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void WriterReproducesVectorByteForByte(string name) =>
        Assert.Equal(Convert.ToHexString(Rfc5769Vectors.Vector(name)), Convert.ToHexString(Rebuild(name)));

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void VectorParsesAndItsIntegrityVerifies(string name)
    {
        var bytes = Rfc5769Vectors.Vector(name);
        Assert.True(StunHeader.IsStun(bytes));
        Assert.Equal(StunError.None, StunMessage.TryParse(bytes, out var message));
        Assert.NotNull(message);
        Assert.Equal(StunMethod.Binding, message.Method);
        Assert.True(message.HasMessageIntegrity);
        Assert.Equal(StunError.None, message.VerifyMessageIntegrity(KeyFor(name)));
        Assert.Equal(name != "long-term", message.HasFingerprint);
        Assert.Empty(message.UnknownComprehensionRequired);
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void WrongKeyFailsIntegrity(string name)
    {
        Assert.Equal(StunError.None, StunMessage.TryParse(Rfc5769Vectors.Vector(name), out var message));
        var wrong = KeyFor(name);
        wrong[0] ^= 1;
        Assert.Equal(StunError.BadMessageIntegrity, message!.VerifyMessageIntegrity(wrong));
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void FlippingAnyOctetUpToTheIntegrityValueIsDetected(string name)
    {
        var original = Rfc5769Vectors.Vector(name);
        var key = KeyFor(name);

        // MESSAGE-INTEGRITY covers the header and everything before it, and its own value; FINGERPRINT (after it) is
        // checked by the parser; anything else after it would be ignored (RFC 8489 §9).
        int covered = name == "long-term" ? original.Length : original.Length - StunFingerprint.AttributeSize;
        for (int i = 0; i < original.Length; i++)
        {
            var bytes = (byte[])original.Clone();
            bytes[i] ^= 0x01;
            var error = StunMessage.TryParse(bytes, out var message);
            if (error == StunError.None)
            {
                if (i >= covered)
                {
                    // A flipped FINGERPRINT type leaves an unknown comprehension-optional attribute, which is ignored.
                    Assert.False(message!.HasFingerprint, $"flip at {i} in FINGERPRINT was not rejected");
                    continue;
                }

                // A flipped MESSAGE-INTEGRITY type leaves no integrity at all; any other flip breaks the HMAC.
                Assert.NotEqual(StunError.None, message!.VerifyMessageIntegrity(key));
            }
        }
    }

    [Fact]
    public void SampleRequestAttributesDecode()
    {
        Assert.Equal(StunError.None, StunMessage.TryParse(Rfc5769Vectors.SampleRequest, out var m));
        Assert.Equal(StunClass.Request, m!.Class);
        Assert.Equal("STUN test client", m.Software);
        Assert.Equal(0x6e0001ffu, m.Priority);
        Assert.Equal(0x932ff9b151263b36ul, m.IceControlled);
        Assert.Equal("evtj:h6vY", m.Username);
        Assert.Equal("b7e7a701bc34d686fa87dfae", m.TransactionId.ToString());
    }

    [Theory]
    [InlineData("ipv4", "192.0.2.1")]
    [InlineData("ipv6", "2001:db8:1234:5678:11:2233:4455:6677")]
    public void ResponsesCarryTheMappedAddress(string name, string address)
    {
        Assert.Equal(StunError.None, StunMessage.TryParse(Rfc5769Vectors.Vector(name), out var m));
        Assert.Equal(StunClass.SuccessResponse, m!.Class);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), 32853), m.XorMappedAddress);
        Assert.Equal("test vector", m.Software);
    }

    [Fact]
    public void LongTermRequestCarriesUsernameRealmNonce()
    {
        Assert.Equal(StunError.None, StunMessage.TryParse(Rfc5769Vectors.LongTermRequest, out var m));
        Assert.Equal(Rfc5769Vectors.LongTermUsername, m!.Username);
        Assert.Equal(Rfc5769Vectors.LongTermRealm, m.Realm);
        Assert.Equal(Rfc5769Vectors.LongTermNonce, m.Nonce);
    }

    [Fact]
    public void SaslPrepMapsTheVectorPasswordToTheMatrIX()
    {
        // RFC 5769 §2.4: "The<U+00AD>M<U+00AA>tr<U+2168>" becomes "TheMatrIX".
        Assert.Equal("TheMatrIX", SaslPrep.Prepare(Rfc5769Vectors.LongTermPassword));
        var expected = System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes(Rfc5769Vectors.LongTermUsername + ":example.org:TheMatrIX"));
        Assert.Equal(expected, StunCredentials.LongTermKey(Rfc5769Vectors.LongTermUsername, "example.org", Rfc5769Vectors.LongTermPassword));
    }

    [Fact]
    public void LongTermKeyMatchesTheRfc8489Example()
    {
        // RFC 8489 §9.2.2: 'user:realm:pass' hashes to 0x8493fbc53ba582fb4c044c456bdc40eb.
        Assert.Equal("8493fbc53ba582fb4c044c456bdc40eb", Convert.ToHexStringLower(StunCredentials.LongTermKey("user", "realm", "pass")));
    }

    [Fact]
    public void UserHashMatchesTheRfc8489AppendixBVector()
    {
        // RFC 8489 Appendix B.1: USERHASH of the RFC 5769 username in realm example.org.
        Assert.Equal(
            "4a3cf38fef6992bda952c67804 17da0f24819415569e60b205c46e41407f1704".Replace(" ", string.Empty, StringComparison.Ordinal),
            Convert.ToHexStringLower(StunCredentials.UserHash(Rfc5769Vectors.LongTermUsername, "example.org")));
    }

    [Fact]
    public void Sha256LongTermKeyReproducesTheRfc8489AppendixBHmac()
    {
        // RFC 8489 Appendix B.1 prints header, USERHASH, NONCE and REALM, then MESSAGE-INTEGRITY-SHA256. Its header
        // length (0x9c) counts 20 octets the listing does not show, so the message cannot be rebuilt byte for byte;
        // but its HMAC is HMAC-SHA256 of the printed octets under the SHA-256 long-term key (RFC 8489 §18.5.1.2)
        // of the RFC 5769 credentials, which checks that key derivation and its SASLprep.
        var printed = Convert.FromHexString(
            "0001009c2112a44278ad3433c6ad72c029da412e" +
            "001e00204a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704" +
            "001500296f624d61744a6f73324141414366 2f2f3439396b39353464364f4c33346f4c39465354767936347341000000".Replace(" ", string.Empty, StringComparison.Ordinal) +
            "0014000b6578616d706c652e6f726700");
        var key = StunCredentials.LongTermKey(Rfc5769Vectors.LongTermUsername, "example.org", Rfc5769Vectors.LongTermPassword, StunPasswordAlgorithm.Sha256);
        Assert.Equal(
            "e4686c8f0edeb59013e07090010a93efccbccc544c0a45d9f830aa6d6f735a01",
            Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(key, printed)));
    }
}
