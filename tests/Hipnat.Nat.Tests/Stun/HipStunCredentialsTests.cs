using Hipnat.Nat.Stun;
using Hipnat.Wire;

namespace Hipnat.Nat.Tests.Stun;

public class HipStunCredentialsTests
{
    // RFC 5770 §5.2 example HITs.
    private static readonly Hit Local = new(0x2001_0015_8ebe_1aa7, 0x42f5_b413_7237_6c0a);
    private static readonly Hit Remote = new(0x2001_0018_46fa_97c0, 0x0ba5_cd77_0051_047b);

    [Fact]
    public void UsernameFragmentsAreTheLast32BitsInLowercaseHexWithLeadingZeros()
    {
        Assert.Equal("72376c0a", HipStunCredentials.UsernameFragment(Local));
        Assert.Equal("0051047b", HipStunCredentials.UsernameFragment(Remote));
        Assert.Equal("0051047b:72376c0a", HipStunCredentials.RequestUsername(Local, Remote));
        Assert.Equal(HipStunCredentials.RequestUsername(Remote, Local), HipStunCredentials.ExpectedUsername(Local, Remote));
    }

    [Fact]
    public void PasswordIsTheKeymatDrawInLowercaseHex()
    {
        var draw = Enumerable.Range(0xA0, 16).Select(i => (byte)i).ToArray();
        Assert.Equal("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", HipStunCredentials.Password(draw));
        Assert.Equal("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"u8.ToArray(), HipStunCredentials.ShortTermKey(draw));
        Assert.Throws<ArgumentException>(() => HipStunCredentials.Password(new byte[15]));
    }

    [Fact]
    public void KeepaliveIsABindingIndicationWithOnlyFingerprint()
    {
        var keepalive = StunKeepalive.Create();
        Assert.Equal(StunHeader.Size + StunFingerprint.AttributeSize, keepalive.Length);
        Assert.True(StunKeepalive.IsKeepalive(keepalive));
        Assert.True(HipUdpFraming.IsStun(keepalive));
        Assert.Equal(UdpPayloadKind.Stun, HipUdpFraming.Classify(keepalive));
        Assert.False(StunKeepalive.IsKeepalive(new StunMessageWriter(StunMethod.Binding, StunClass.Indication, StunTransactionId.NewRandom()).ToArray()));
    }
}
