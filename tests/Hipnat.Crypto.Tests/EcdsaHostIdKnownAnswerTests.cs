using System.Security.Cryptography;
using Hipnat.Wire;

namespace Hipnat.Crypto.Tests;

/// <summary>
/// HOST_ID Host Identity octets and HITs of fixed P-256 and P-384 keys against values computed with OpenSSL and
/// Python (see <see cref="EcdsaKnownAnswers"/> for exactly how).
/// </summary>
public class EcdsaHostIdKnownAnswerTests
{
    public static TheoryData<string, HostIdentityKind, string, string, string, string> Vectors() => new()
    {
        {
            EcdsaKnownAnswers.P256Pem, HostIdentityKind.EcdsaP256, EcdsaKnownAnswers.P256HostIdentity, EcdsaKnownAnswers.P256Hit,
            EcdsaKnownAnswers.P256HitBefore, "acf3081dc86dcfb73cad42dd18f29665e65f608180b8012068d728919a74524e"
        },
        {
            EcdsaKnownAnswers.P384Pem, HostIdentityKind.EcdsaP384, EcdsaKnownAnswers.P384HostIdentity, EcdsaKnownAnswers.P384Hit,
            EcdsaKnownAnswers.P384HitBefore, "e9e04cbd79b0ea5683993c21ea4b42e87c2723e7790000959aa4a0d6460c20c61e1a8c1414c8c8c354050259035dc742"
        },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Imported_key_has_the_known_host_identity_and_hit(string pem, HostIdentityKind kind, string hostIdentity, string hit, string hitBefore, string d)
    {
        using HostIdentity id = HostIdentity.ImportPem(pem);
        Assert.Equal(kind, id.Kind);
        Assert.Equal(HostIdentityAlgorithm.Ecdsa, id.Algorithm);
        Assert.Equal(Convert.FromHexString(hostIdentity), id.HostIdBytes.ToArray());
        Assert.Equal(Hit.Parse(hit), id.Hit);
        Assert.Equal(Hit.Parse(hitBefore), id.HitBeforeUncompressedPoint);

        // The PEM holds the private scalar the vector names.
        using ECDsa reference = ECDsa.Create();
        reference.ImportFromPem(pem);
        Assert.Equal(Convert.FromHexString(d), reference.ExportParameters(includePrivateParameters: true).D);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Hit_of_the_known_octets_is_the_known_hit_whichever_form_a_peer_sends(string pem, HostIdentityKind kind, string hostIdentity, string hit, string hitBefore, string d)
    {
        _ = kind;
        _ = d;
        byte[] uncompressed = Convert.FromHexString(hostIdentity);
        byte[] bare = [uncompressed[0], uncompressed[1], .. uncompressed[3..]];
        Assert.Equal(Hit.Parse(hit), Orchid.ComputeHit(HostIdentityAlgorithm.Ecdsa, uncompressed));
        Assert.Equal(Hit.Parse(hitBefore), Orchid.ComputeHit(HostIdentityAlgorithm.Ecdsa, bare));

        // A peer's HIT is over the Host Identity octets as received (RFC 7401 §3.2); both forms carry the same key.
        using HostIdentity signer = HostIdentity.ImportPem(pem);
        byte[] signature = signer.Sign("R2"u8);
        foreach ((byte[] received, string expected) in new[] { (uncompressed, hit), (bare, hitBefore) })
        {
            Assert.True(PeerHostIdentity.TryCreate(HostIdentityAlgorithm.Ecdsa, received, out PeerHostIdentity? peer, out string? error), error);
            using (peer)
            {
                Assert.Equal(Hit.Parse(expected), peer.Hit);
                Assert.Equal(received, peer.HostIdBytes.ToArray());
                Assert.True(peer.Verify("R2"u8, signature));
            }
        }
    }
}
