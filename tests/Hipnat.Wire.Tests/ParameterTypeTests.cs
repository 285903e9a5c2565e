using Hipnat.Wire.Parameters;

namespace Hipnat.Wire.Tests;

public class ParameterTypeTests
{
    /// <summary>Type numbers as printed in each RFC's format section and IANA section.</summary>
    public static TheoryData<string, int> RfcNumbers => new()
    {
        { nameof(EspInfoParameter), 65 },                  // RFC 7402 §5.1.1
        { nameof(R1CounterParameter), 129 },               // RFC 7401 §5.2.3
        { nameof(LocatorSetParameter), 193 },              // RFC 8046 §4
        { nameof(PuzzleParameter), 257 },                  // RFC 7401 §5.2.4
        { nameof(SolutionParameter), 321 },                // RFC 7401 §5.2.5
        { nameof(SeqParameter), 385 },                     // RFC 7401 §5.2.16
        { nameof(AckParameter), 449 },                     // RFC 7401 §5.2.17
        { nameof(DhGroupListParameter), 511 },             // RFC 7401 §5.2.6
        { nameof(DiffieHellmanParameter), 513 },           // RFC 7401 §5.2.7
        { nameof(HipCipherParameter), 579 },               // RFC 7401 §5.2.8
        { nameof(NatTraversalModeParameter), 608 },        // RFC 9028 §5.4
        { nameof(TransactionPacingParameter), 610 },       // RFC 9028 §5.5
        { nameof(EncryptedParameter), 641 },               // RFC 7401 §5.2.18
        { nameof(HostIdParameter), 705 },                  // RFC 7401 §5.2.9
        { nameof(HitSuiteListParameter), 715 },            // RFC 7401 §5.2.10
        { nameof(CertParameter), 768 },                    // RFC 6253 §2
        { nameof(NotificationParameter), 832 },            // RFC 7401 §5.2.19
        { nameof(EchoRequestSignedParameter), 897 },       // RFC 7401 §5.2.20
        { nameof(RegInfoParameter), 930 },                 // RFC 8003 §4.2
        { nameof(RegRequestParameter), 932 },              // RFC 8003 §4.3
        { nameof(RegResponseParameter), 934 },             // RFC 8003 §4.4
        { nameof(RegFailedParameter), 936 },               // RFC 8003 §4.5
        { nameof(RegFromParameter), 950 },                 // RFC 9028 §5.6
        { nameof(EchoResponseSignedParameter), 961 },      // RFC 7401 §5.2.22
        { nameof(TransportFormatListParameter), 2049 },    // RFC 7401 §5.2.11
        { nameof(EspTransformParameter), 4095 },           // RFC 7402 §5.1.2
        { nameof(RelayedAddressParameter), 4650 },         // RFC 9028 §5.12
        { nameof(MappedAddressParameter), 4660 },          // RFC 9028 §5.12
        { nameof(PeerPermissionParameter), 4680 },         // RFC 9028 §5.13
        { nameof(CandidatePriorityParameter), 4700 },      // RFC 9028 §5.14
        { nameof(NominateParameter), 4710 },               // RFC 9028 §5.15
        { nameof(HipMacParameter), 61505 },                // RFC 7401 §5.2.12
        { nameof(HipMac2Parameter), 61569 },               // RFC 7401 §5.2.13
        { nameof(HipSignature2Parameter), 61633 },         // RFC 7401 §5.2.15
        { nameof(HipSignatureParameter), 61697 },          // RFC 7401 §5.2.14
        { nameof(EchoResponseUnsignedParameter), 63425 },  // RFC 7401 §5.2.23
        { nameof(EchoRequestUnsignedParameter), 63661 },   // RFC 7401 §5.2.21
        { nameof(RelayFromParameter), 63998 },             // RFC 9028 §5.6
        { nameof(RelayToParameter), 64002 },               // RFC 9028 §5.6
        { nameof(FromParameter), 65498 },                  // RFC 8004 §4.2.2
        { nameof(RvsHmacParameter), 65500 },               // RFC 8004 §4.2.1
        { nameof(ViaRvsParameter), 65502 },                // RFC 8004 §4.2.3
        { nameof(RelayHmacParameter), 65520 },             // RFC 9028 §5.8
    };

    [Theory]
    [MemberData(nameof(RfcNumbers))]
    public void Type_number_matches_the_rfc(string name, int expected)
    {
        var codec = Assert.Single(ParameterCodecs.All, c => c.Name == name);
        Assert.Equal(expected, codec.Type);
        Assert.True(ParameterType.IsKnown((ushort)expected));
    }

    [Fact]
    public void Known_types_are_exactly_the_implemented_codecs()
    {
        var implemented = ParameterCodecs.All.Select(c => (int)c.Type).ToHashSet();
        Assert.Equal(implemented.Count, ParameterCodecs.All.Length);
        for (int t = 0; t <= ushort.MaxValue; t++)
        {
            Assert.True(ParameterType.IsKnown((ushort)t) == implemented.Contains(t), $"type {t}");
        }
    }

    [Fact]
    public void Critical_bit_is_the_low_order_bit()
    {
        // RFC 7401 §5.2.1: odd types are critical. LOCATOR_SET is critical (RFC 8046 §4); CERT is not (RFC 6253 §2).
        Assert.True(HipParameterHeader.IsCritical(ParameterType.LocatorSet));
        Assert.True(HipParameterHeader.IsCritical(ParameterType.HipMac));
        Assert.False(HipParameterHeader.IsCritical(ParameterType.Cert));
        Assert.False(HipParameterHeader.IsCritical(ParameterType.RegFrom));
        Assert.False(HipParameterHeader.IsCritical(ParameterType.RelayHmac));
    }

    [Fact]
    public void Names_are_the_rfc_names()
    {
        Assert.Equal("LOCATOR_SET", ParameterType.Name(193));
        Assert.Equal("HIP_SIGNATURE_2", ParameterType.Name(61633));
        Assert.Equal("type 1000", ParameterType.Name(1000));
    }
}
