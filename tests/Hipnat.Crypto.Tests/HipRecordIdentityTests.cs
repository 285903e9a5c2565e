using Hipnat.Wire;
using Hipnat.Wire.Dns;

namespace Hipnat.Crypto.Tests;

/// <summary>The Host Identity in a HIP resource record (RFC 8005 §5.5) and the check HIT = ORCHID(HI) (§4.1).</summary>
public class HipRecordIdentityTests
{
    [Theory]
    [InlineData(EcdsaKnownAnswers.P256HostIdentity, EcdsaKnownAnswers.P256Hit, 64)]
    [InlineData(EcdsaKnownAnswers.P384HostIdentity, EcdsaKnownAnswers.P384Hit, 96)]
    public void An_ECDSA_record_carries_x_and_y_and_yields_the_known_HIT(string hostIdHex, string hit, int keyLength)
    {
        var hostId = TestIdentities.Bytes(hostIdHex);
        var (algorithm, key) = HipRecordIdentity.ToRecordKey(HostIdentityAlgorithm.Ecdsa, hostId);

        // RFC 8005 §5.5 / RFC 6605 §4: algorithm 3, the point without curve label and without the 0x04 octet.
        Assert.Equal(HipRecordAlgorithm.Ecdsa, algorithm);
        Assert.Equal(keyLength, key.Length);
        Assert.Equal(hostId[3..], key);

        var record = HipResourceRecord.Create(algorithm, Hit.Parse(hit).ToArray(), key);
        Assert.True(HipRecordIdentity.TryVerify(record, out var computed, out var error), error);
        Assert.Equal(Hit.Parse(hit), computed);
        Assert.True(HipRecordIdentity.TryToHostId(algorithm, key, out var back, out var backHostId, out error), error);
        Assert.Equal(HostIdentityAlgorithm.Ecdsa, back);
        Assert.Equal(hostId, backHostId);
    }

    [Theory]
    [InlineData(HostIdentityKind.EcdsaP256)]
    [InlineData(HostIdentityKind.EcdsaP384)]
    [InlineData(HostIdentityKind.Rsa)]
    public void The_record_of_an_identity_verifies_to_its_HIT_through_the_presentation_form(HostIdentityKind kind)
    {
        var id = TestIdentities.Get(kind);
        var record = HipRecordIdentity.CreateRecord(id, ["relay1.example."]);
        Assert.Equal(kind == HostIdentityKind.Rsa ? HipRecordAlgorithm.Rsa : HipRecordAlgorithm.Ecdsa, record.Algorithm);
        if (kind == HostIdentityKind.Rsa)
        {
            // RFC 8005 §5.5: RSA keys in the RFC 3110 format, as in HOST_ID.
            Assert.Equal(id.HostIdBytes.ToArray(), record.PublicKey.ToArray());
        }

        var line = new HipZoneEntry("bob.example.", 300, record).Format();
        Assert.True(HipZoneEntry.TryParse(line, out var entry, out var error), error);
        Assert.True(HipRecordIdentity.TryVerify(entry.Record, out var hit, out error), error);
        Assert.Equal(id.Hit, hit);
        Assert.Equal(["relay1.example."], entry.Record.RendezvousServers);
    }

    [Fact]
    public void A_record_whose_HIT_is_not_its_keys_is_refused_naming_both_HITs()
    {
        var bob = TestIdentities.Get(HostIdentityKind.EcdsaP256);
        var other = TestIdentities.Get(HostIdentityKind.EcdsaP384);
        var (algorithm, key) = HipRecordIdentity.ToRecordKey(other.Algorithm, other.HostIdBytes.Span);
        var forged = HipResourceRecord.Create(algorithm, bob.Hit.ToArray(), key);

        Assert.False(HipRecordIdentity.TryVerify(forged, out var computed, out var error));
        Assert.Equal(other.Hit, computed);
        Assert.Contains(bob.Hit.ToString(), error, StringComparison.Ordinal);
        Assert.Contains(other.Hit.ToString(), error, StringComparison.Ordinal);
        Assert.Contains("RFC 8005 §4.1", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_with_the_HIT_of_earlier_hipnat_releases_says_so()
    {
        var hostId = TestIdentities.Bytes(EcdsaKnownAnswers.P256HostIdentity);
        var record = HipResourceRecord.Create(HipRecordAlgorithm.Ecdsa, Hit.Parse(EcdsaKnownAnswers.P256HitBefore).ToArray(), hostId.AsSpan(3));
        Assert.False(HipRecordIdentity.TryVerify(record, out _, out var error));
        Assert.Contains("earlier hipnat releases", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HipRecordAlgorithm.Dsa, 64, "not supported")]
    [InlineData((HipRecordAlgorithm)9, 64, "not supported")]
    [InlineData(HipRecordAlgorithm.Ecdsa, 65, "neither P-256")]
    public void Unsupported_keys_are_errors(HipRecordAlgorithm algorithm, int keyLength, string fragment)
    {
        var record = HipResourceRecord.Create(algorithm, new byte[16], new byte[keyLength]);
        Assert.False(HipRecordIdentity.TryVerify(record, out _, out var error));
        Assert.Contains(fragment, error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ECDSA_point_not_on_the_curve_is_refused()
    {
        var key = new byte[64];
        key[63] = 1;
        var record = HipResourceRecord.Create(HipRecordAlgorithm.Ecdsa, new byte[16], key);
        Assert.False(HipRecordIdentity.TryVerify(record, out _, out var error));
        Assert.Contains("not a usable host identity", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_RFC_8005_example_is_refused_since_its_RSA_key_is_too_small_for_HIPv2()
    {
        // RFC 8005 §7 shows a HIPv1 (ORCHIDv1, 2001:10::/28) HIT and a 1024-bit RSA key.
        const string text = "www.example.com. IN HIP ( 2 200100107B1A74DF365639CC39F1D578 AwEAAbdxyhNuSutc5EMzxTs9LBPCIkOFH8cIvM4p9+LrV4e19WzK00+CI6zBCQTdtWsuxKbWIy87UOoJTwkUs7lBu+Upr1gsNrut79ryra+bSRGQb1slImA8YVJyuIDsj7kwzG7jnERNqnWxZ48AWkskmdHaVDP4BcelrTI3rMXdXF5D )";
        Assert.True(HipZoneEntry.TryParse(text, out var entry, out var error), error);
        Assert.False(HipRecordIdentity.TryVerify(entry.Record, out _, out error));
        Assert.Contains("RSA modulus", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_HIT_field_that_is_not_16_octets_is_refused()
    {
        var id = TestIdentities.Get(HostIdentityKind.EcdsaP256);
        var (algorithm, key) = HipRecordIdentity.ToRecordKey(id.Algorithm, id.HostIdBytes.Span);
        var record = HipResourceRecord.Create(algorithm, new byte[8], key);
        Assert.False(HipRecordIdentity.TryVerify(record, out var computed, out var error));
        Assert.Equal(id.Hit, computed);
        Assert.Contains("not 16", error, StringComparison.Ordinal);
    }
}
