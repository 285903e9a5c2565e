using System.Numerics;
using System.Security.Cryptography;

namespace Hipnat.Crypto;

/// <summary>Finite-field Diffie-Hellman in an RFC 3526 MODP group (DH groups 3, 4, 11; RFC 7401 §5.2.7).</summary>
internal sealed class ModpKeyPair : DhKeyPair
{
    private readonly ModpGroup _group;
    private readonly BigInteger _x;

    public ModpKeyPair(DhGroupId id, ModpGroup group)
        : this(id, group, NewPrivateExponent())
    {
    }

    private ModpKeyPair(DhGroupId id, ModpGroup group, BigInteger x)
        : base(id, Encode(BigInteger.ModPow(ModpGroup.Generator, x, group.Prime), group.Length))
    {
        _group = group;
        _x = x;
    }

    private protected override bool TryDeriveCore(ReadOnlySpan<byte> peerPublicValue, Span<byte> secret, out int bytesWritten)
    {
        bytesWritten = 0;

        // Values shorter than the prime (leading zero octets dropped by the sender) are tolerated; longer are not.
        if (peerPublicValue.IsEmpty || peerPublicValue.Length > _group.Length)
        {
            return false;
        }

        var y = new BigInteger(peerPublicValue, isUnsigned: true, isBigEndian: true);

        // 1, p-1 (and 0, >= p) would confine the secret to the order-2 subgroup; in a safe-prime group any value
        // in 2..p-2 generates a large subgroup.
        if (y < 2 || y >= _group.PrimeMinusOne)
        {
            return false;
        }

        BigInteger z = BigInteger.ModPow(y, _x, _group.Prime);
        if (z <= BigInteger.One)
        {
            return false;
        }

        WriteFixed(z, secret[.._group.Length]);
        bytesWritten = _group.Length;
        return true;
    }

    private static BigInteger NewPrivateExponent()
    {
        Span<byte> random = stackalloc byte[ModpGroup.PrivateExponentBits / 8];
        BigInteger x;
        do
        {
            RandomNumberGenerator.Fill(random);
            x = new BigInteger(random, isUnsigned: true, isBigEndian: true);
        }
        while (x < 2);

        CryptographicOperations.ZeroMemory(random);
        return x;
    }

    private static byte[] Encode(BigInteger value, int length)
    {
        var buffer = new byte[length];
        WriteFixed(value, buffer);
        return buffer;
    }

    private static void WriteFixed(BigInteger value, Span<byte> destination)
    {
        int size = value.GetByteCount(isUnsigned: true);
        destination[..^size].Clear();
        if (!value.TryWriteBytes(destination[^size..], out _, isUnsigned: true, isBigEndian: true))
        {
            throw new CryptographicException("DH value does not fit the prime length");
        }
    }
}
