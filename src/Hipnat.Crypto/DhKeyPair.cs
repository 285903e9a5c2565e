using System.Security.Cryptography;

namespace Hipnat.Crypto;

/// <summary>
/// An ephemeral Diffie-Hellman key pair of one DH group (RFC 7401 §5.2.7, §4.1.3) and the derivation of the
/// session key Kij from a peer's public value. Derivation may be called concurrently (a responder reuses one
/// pair across its precomputed R1s).
/// </summary>
public abstract class DhKeyPair : IDisposable
{
    private protected DhKeyPair(DhGroupId group, byte[] publicValue)
    {
        Group = group;
        PublicValueBytes = publicValue;
    }

    public DhGroupId Group { get; }

    /// <summary>
    /// The Public Value field of DIFFIE_HELLMAN. MODP: g^x mod p, big-endian, left-padded to the prime length.
    /// ECDH: x | y of the public point, each coordinate the field length, no 0x04 octet (RFC 5903 §7, RFC 6090).
    /// </summary>
    public ReadOnlyMemory<byte> PublicValue => PublicValueBytes;

    private protected byte[] PublicValueBytes { get; }

    /// <summary>True for the groups hipnat implements: 3, 4, 7, 8, 9, 11.</summary>
    public static bool IsSupported(DhGroupId group) => group is
        DhGroupId.Modp1536 or DhGroupId.Modp2048 or DhGroupId.Modp3072 or
        DhGroupId.NistP256 or DhGroupId.NistP384 or DhGroupId.NistP521;

    /// <summary>Length of the public value we send for a group (and the exact length expected for ECDH peers).</summary>
    public static int PublicValueLength(DhGroupId group) => group switch
    {
        DhGroupId.Modp1536 => 192,
        DhGroupId.Modp2048 => 256,
        DhGroupId.Modp3072 => 384,
        DhGroupId.NistP256 => 64,
        DhGroupId.NistP384 => 96,
        DhGroupId.NistP521 => 132,
        _ => throw Unsupported(group),
    };

    /// <summary>
    /// Length of Kij. MODP: the prime length (g^xy left-padded). ECDH: the field length (the x coordinate of the
    /// shared point, RFC 5903 §7).
    /// </summary>
    public static int SharedSecretLength(DhGroupId group) => group switch
    {
        DhGroupId.Modp1536 => 192,
        DhGroupId.Modp2048 => 256,
        DhGroupId.Modp3072 => 384,
        DhGroupId.NistP256 => 32,
        DhGroupId.NistP384 => 48,
        DhGroupId.NistP521 => 66,
        _ => throw Unsupported(group),
    };

    /// <summary>Generates a fresh key pair; throws <see cref="NotSupportedException"/> for groups hipnat does not implement.</summary>
    public static DhKeyPair Generate(DhGroupId group)
    {
        ModpGroup? modp = ModpGroup.For(group);
        if (modp is not null)
        {
            return new ModpKeyPair(group, modp);
        }

        return group switch
        {
            DhGroupId.NistP256 => new EcdhKeyPair(group, EcDomain.P256),
            DhGroupId.NistP384 => new EcdhKeyPair(group, EcDomain.P384),
            DhGroupId.NistP521 => new EcdhKeyPair(group, EcDomain.P521),
            _ => throw Unsupported(group),
        };
    }

    /// <summary>
    /// Derives Kij from an untrusted peer public value. Returns false (never throws) when the value is invalid:
    /// wrong length, not a point on the curve, or a MODP value outside 2..p-2. <paramref name="secret"/> needs
    /// <see cref="SharedSecretLength"/> octets.
    /// </summary>
    public bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, Span<byte> secret, out int bytesWritten)
    {
        bytesWritten = 0;
        if (secret.Length < SharedSecretLength(Group))
        {
            return false;
        }

        try
        {
            return TryDeriveCore(peerPublicValue, secret, out bytesWritten);
        }
        catch (CryptographicException)
        {
            bytesWritten = 0;
            return false;
        }
    }

    /// <summary>Derives Kij; throws <see cref="CryptographicException"/> for an invalid peer value.</summary>
    public byte[] DeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue)
    {
        var secret = new byte[SharedSecretLength(Group)];
        if (!TryDeriveSharedSecret(peerPublicValue, secret, out _))
        {
            throw new CryptographicException($"invalid {Group} public value from the peer");
        }

        return secret;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    private protected abstract bool TryDeriveCore(ReadOnlySpan<byte> peerPublicValue, Span<byte> secret, out int bytesWritten);

    protected virtual void Dispose(bool disposing)
    {
    }

    private static NotSupportedException Unsupported(DhGroupId group) =>
        new($"DH group {(byte)group} ({group}) is not supported (supported: 3, 4, 7, 8, 9, 11)");
}
