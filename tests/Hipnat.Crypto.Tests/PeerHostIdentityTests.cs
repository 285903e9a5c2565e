using System.Security.Cryptography;

namespace Hipnat.Crypto.Tests;

public class PeerHostIdentityTests
{
    [Theory]
    [InlineData(HostIdentityKind.EcdsaP256)]
    [InlineData(HostIdentityKind.EcdsaP384)]
    [InlineData(HostIdentityKind.Rsa)]
    public void Peer_built_from_host_id_bytes_verifies_and_has_the_same_hit(HostIdentityKind kind)
    {
        HostIdentity id = TestIdentities.Get(kind);
        Assert.True(PeerHostIdentity.TryCreate(id.Algorithm, id.HostIdBytes.Span, out PeerHostIdentity? peer, out string? error), error);
        using (peer)
        {
            Assert.Null(error);
            Assert.Equal(id.Hit, peer.Hit);
            Assert.Equal(id.Suite, peer.Suite);
            Assert.Equal(id.Algorithm, peer.Algorithm);
            Assert.Equal(id.SignatureLength, peer.SignatureLength);
            Assert.Equal(id.HostIdBytes.ToArray(), peer.HostIdBytes.ToArray());
            Assert.True(peer.Verify("abc"u8, id.Sign("abc"u8)));
        }
    }

    [Theory]
    [InlineData(HostIdentityAlgorithm.Reserved)]
    [InlineData(HostIdentityAlgorithm.Dsa)]
    [InlineData(HostIdentityAlgorithm.EcdsaLow)]
    [InlineData((HostIdentityAlgorithm)200)]
    public void Unsupported_algorithms_are_rejected(HostIdentityAlgorithm algorithm)
    {
        byte[] hi = TestIdentities.Get(HostIdentityKind.EcdsaP256).HostIdBytes.ToArray();
        Assert.False(PeerHostIdentity.TryCreate(algorithm, hi, out PeerHostIdentity? peer, out string? error));
        Assert.Null(peer);
        Assert.Contains("unsupported HI algorithm", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Ecdsa_with_wrong_length_unknown_curve_or_bad_point_is_rejected()
    {
        byte[] hi = TestIdentities.Get(HostIdentityKind.EcdsaP256).HostIdBytes.ToArray();

        AssertRejected(HostIdentityAlgorithm.Ecdsa, [], "shorter than its curve label");
        AssertRejected(HostIdentityAlgorithm.Ecdsa, hi[..^2], "must carry 65 public key octets (0x04 | x | y) or 64 (x | y), not 63");
        AssertRejected(HostIdentityAlgorithm.Ecdsa, [.. hi, 0], "must carry 65");
        AssertRejected(HostIdentityAlgorithm.Ecdsa, [0, 2, .. hi[2..]], "must carry 97"); // P-384 label on a P-256 key
        AssertRejected(HostIdentityAlgorithm.Ecdsa, [0, 0, .. hi[2..]], "unsupported ECC curve 0");
        AssertRejected(HostIdentityAlgorithm.Ecdsa, [0, 3, .. hi[2..]], "unsupported ECC curve 3");

        byte[] offCurve = (byte[])hi.Clone();
        offCurve[^1] ^= 0x01; // y no longer matches x
        AssertRejected(HostIdentityAlgorithm.Ecdsa, offCurve, "not a valid point");

        byte[] zeros = new byte[67];
        zeros[1] = 1;
        zeros[2] = 0x04;
        AssertRejected(HostIdentityAlgorithm.Ecdsa, zeros, "not a valid point");

        byte[] huge = [0, 1, 0x04, .. Enumerable.Repeat((byte)0xFF, 64)]; // coordinates >= p
        AssertRejected(HostIdentityAlgorithm.Ecdsa, huge, "");
    }

    [Theory]
    [InlineData(HostIdentityKind.EcdsaP256)]
    [InlineData(HostIdentityKind.EcdsaP384)]
    public void Ecdsa_coordinates_without_the_0x04_octet_are_still_accepted_and_hashed_as_received(HostIdentityKind kind)
    {
        HostIdentity id = TestIdentities.Get(kind);
        byte[] hi = id.HostIdBytes.ToArray();
        byte[] bare = [hi[0], hi[1], .. hi[3..]]; // ECC Curve | x | y, as earlier hipnat releases send it
        Assert.True(PeerHostIdentity.TryCreate(HostIdentityAlgorithm.Ecdsa, bare, out PeerHostIdentity? peer, out string? error), error);
        using (peer)
        {
            Assert.True(peer.Verify("d"u8, id.Sign("d"u8)));
            Assert.Equal(bare, peer.HostIdBytes.ToArray());

            // RFC 7401 §3.2: the HIT is over the Host Identity as received, so the same key has another HIT in this form.
            Assert.Equal(Orchid.ComputeHit(HostIdentityAlgorithm.Ecdsa, bare), peer.Hit);
            Assert.Equal(id.HitBeforeUncompressedPoint, peer.Hit);
            Assert.NotEqual(id.Hit, peer.Hit);
        }
    }

    [Fact]
    public void Rsa_malformed_fields_are_rejected()
    {
        HostIdentity id = TestIdentities.Get(HostIdentityKind.Rsa);
        byte[] hi = id.HostIdBytes.ToArray(); // 03 | 01 00 01 | n (384 octets)
        byte[] n = hi[4..];

        AssertRejected(HostIdentityAlgorithm.Rsa, [], "empty");
        AssertRejected(HostIdentityAlgorithm.Rsa, [0, 0], "truncated");
        AssertRejected(HostIdentityAlgorithm.Rsa, [200, 1, 2, 3], "leaves no modulus");
        AssertRejected(HostIdentityAlgorithm.Rsa, [3, 1, 0, 1], "leaves no modulus");
        AssertRejected(HostIdentityAlgorithm.Rsa, [0, 0, 0, .. n], "leaves no modulus"); // e_len 0
        AssertRejected(HostIdentityAlgorithm.Rsa, [3, 0, 1, 1, .. n], "leading zero");
        AssertRejected(HostIdentityAlgorithm.Rsa, [3, 1, 0, 1, 0, .. n], "leading zero");
        AssertRejected(HostIdentityAlgorithm.Rsa, [3, 1, 0, 2, .. n], "exponent"); // even exponent
        AssertRejected(HostIdentityAlgorithm.Rsa, [1, 1, .. n], "exponent"); // e = 1
        AssertRejected(HostIdentityAlgorithm.Rsa, [3, 1, 0, 1, .. n[..128]], "1024 bits");
        AssertRejected(HostIdentityAlgorithm.Rsa, [3, 1, 0, 1, .. n[..^1], (byte)(n[^1] & 0xFE)], "odd");
    }

    [Fact]
    public void Rsa_three_octet_exponent_length_form_is_understood()
    {
        HostIdentity id = TestIdentities.Get(HostIdentityKind.Rsa);
        byte[] hi = id.HostIdBytes.ToArray();
        byte[] longForm = [0, 0, 3, .. hi[1..]]; // RFC 3110 §2: zero octet, then two-octet length
        Assert.True(PeerHostIdentity.TryCreate(HostIdentityAlgorithm.Rsa, longForm, out PeerHostIdentity? peer, out string? error), error);
        using (peer)
        {
            Assert.True(peer.Verify("m"u8, id.Sign("m"u8)));
        }
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var random = new Random(7401);
        for (int round = 0; round < 2000; round++)
        {
            var hi = new byte[random.Next(0, 600)];
            random.NextBytes(hi);
            if (round % 3 == 0 && hi.Length > 2)
            {
                hi[0] = 0;
                hi[1] = (byte)random.Next(0, 4); // plausible curve label
            }

            var algorithm = (HostIdentityAlgorithm)random.Next(0, 12);
            bool ok = PeerHostIdentity.TryCreate(algorithm, hi, out PeerHostIdentity? peer, out string? error);
            Assert.True(ok || error is not null);
            peer?.Dispose();
        }
    }

    [Theory]
    [InlineData(HostIdentityKind.EcdsaP256)]
    [InlineData(HostIdentityKind.Rsa)]
    public void Verify_never_throws_on_garbage_signatures(HostIdentityKind kind)
    {
        PeerHostIdentity peer = TestIdentities.Get(kind).Public;
        var random = new Random(42);
        for (int round = 0; round < 300; round++)
        {
            var sig = new byte[round % 2 == 0 ? peer.SignatureLength : random.Next(0, 1000)];
            random.NextBytes(sig);
            if (round % 5 == 0)
            {
                sig.AsSpan().Fill(0xFF);
            }

            Assert.False(peer.Verify(RandomNumberGenerator.GetBytes(random.Next(0, 100)), sig));
        }
    }

    private static void AssertRejected(HostIdentityAlgorithm algorithm, byte[] hi, string messagePart)
    {
        Assert.False(PeerHostIdentity.TryCreate(algorithm, hi, out PeerHostIdentity? peer, out string? error));
        Assert.Null(peer);
        Assert.NotNull(error);
        Assert.Contains(messagePart, error, StringComparison.Ordinal);
    }
}
