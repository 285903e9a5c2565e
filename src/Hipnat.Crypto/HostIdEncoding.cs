using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Hipnat.Crypto;

/// <summary>
/// Encoding of the "Host Identity" field of HOST_ID (RFC 7401 §5.2.9, §3.2, Appendix B) for RSA and ECDSA keys.
/// </summary>
internal static class HostIdEncoding
{
    /// <summary>Smallest RSA modulus accepted: 112-bit security strength (RFC 7401 §5.2.9).</summary>
    public const int MinRsaBits = 2048;

    /// <summary>Largest RSA modulus accepted from a peer (bounds the verification cost of untrusted keys).</summary>
    public const int MaxRsaBits = 8192;

    /// <summary>Largest RSA public exponent accepted, in octets.</summary>
    public const int MaxRsaExponentLength = 8;

    /// <summary>The first octet of a SEC 1 uncompressed point (SEC 1 v2 §2.3.3).</summary>
    public const byte UncompressedPoint = 0x04;

    public const string OidP256 = "1.2.840.10045.3.1.7";
    public const string OidP384 = "1.3.132.0.34";

    public static int CoordinateLength(EccCurve curve) => curve switch
    {
        EccCurve.NistP256 => 32,
        EccCurve.NistP384 => 48,
        _ => throw new ArgumentOutOfRangeException(nameof(curve), curve, "unsupported ECC curve"),
    };

    public static ECCurve ToNamedCurve(EccCurve curve) => curve switch
    {
        EccCurve.NistP256 => ECCurve.NamedCurves.nistP256,
        EccCurve.NistP384 => ECCurve.NamedCurves.nistP384,
        _ => throw new ArgumentOutOfRangeException(nameof(curve), curve, "unsupported ECC curve"),
    };

    public static bool TryFromOid(string? oid, out EccCurve curve)
    {
        curve = oid switch
        {
            OidP256 => EccCurve.NistP256,
            OidP384 => EccCurve.NistP384,
            _ => EccCurve.Reserved,
        };
        return curve != EccCurve.Reserved;
    }

    /// <summary>
    /// RSA: e_len | e | n per RFC 3110 §2 (RFC 7401 §3.2, Appendix B). e_len is one octet, or a zero octet and
    /// two octets when the exponent is longer than 255 octets. No leading zero octets in e or n.
    /// </summary>
    public static byte[] EncodeRsa(in RSAParameters p)
    {
        ReadOnlySpan<byte> e = TrimLeadingZeros(p.Exponent);
        ReadOnlySpan<byte> n = TrimLeadingZeros(p.Modulus);
        int lenField = e.Length > 255 ? 3 : 1;
        var buffer = new byte[lenField + e.Length + n.Length];
        if (lenField == 1)
        {
            buffer[0] = (byte)e.Length;
        }
        else
        {
            buffer[0] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(1), (ushort)e.Length);
        }

        e.CopyTo(buffer.AsSpan(lenField));
        n.CopyTo(buffer.AsSpan(lenField + e.Length));
        return buffer;
    }

    public static bool TryDecodeRsa(ReadOnlySpan<byte> hi, out RSAParameters parameters, out string? error)
    {
        parameters = default;
        if (hi.Length < 1)
        {
            error = "RSA host identity is empty";
            return false;
        }

        // RFC 3110 §2: exponent length in one octet, or 0 followed by a two-octet length.
        int eLen;
        int offset;
        if (hi[0] != 0)
        {
            eLen = hi[0];
            offset = 1;
        }
        else
        {
            if (hi.Length < 3)
            {
                error = "RSA host identity is truncated in the exponent length";
                return false;
            }

            eLen = BinaryPrimitives.ReadUInt16BigEndian(hi[1..]);
            offset = 3;
        }

        if (eLen == 0 || hi.Length - offset <= eLen)
        {
            error = "RSA host identity has an exponent length that leaves no modulus";
            return false;
        }

        ReadOnlySpan<byte> e = hi.Slice(offset, eLen);
        ReadOnlySpan<byte> n = hi[(offset + eLen)..];
        if (e[0] == 0 || n[0] == 0)
        {
            error = "RSA host identity has leading zero octets in the exponent or modulus (RFC 3110 §2)";
            return false;
        }

        if (e.Length > MaxRsaExponentLength || (e[^1] & 1) == 0 || (e.Length == 1 && e[0] < 3))
        {
            error = "RSA host identity has an unsupported public exponent";
            return false;
        }

        int bits = (n.Length * 8) - System.Numerics.BitOperations.LeadingZeroCount((uint)n[0]) + 24;
        if (bits < MinRsaBits || bits > MaxRsaBits || (n[^1] & 1) == 0)
        {
            error = $"RSA modulus of {bits} bits is not accepted (allowed {MinRsaBits}..{MaxRsaBits}, odd)";
            return false;
        }

        parameters = new RSAParameters { Exponent = e.ToArray(), Modulus = n.ToArray() };
        error = null;
        return true;
    }

    /// <summary>
    /// ECDSA: ECC Curve (2 octets) | Public Key (RFC 7401 §5.2.9). §5.2.9 names only the "octet-string format
    /// [RFC6090]"; hipnat writes the SEC 1 uncompressed point 0x04 | x | y (each coordinate the field size), the form
    /// other HIPv2 implementations write and expect. The HIT is computed over exactly these octets (§3.2).
    /// </summary>
    public static byte[] EncodeEcdsa(EccCurve curve, in ECPoint q)
    {
        int n = CoordinateLength(curve);
        var buffer = new byte[2 + 1 + (2 * n)];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)curve);
        buffer[2] = UncompressedPoint;
        WriteFixed(q.X, buffer.AsSpan(3, n));
        WriteFixed(q.Y, buffer.AsSpan(3 + n, n));
        return buffer;
    }

    /// <summary>
    /// The ECDSA Host Identity as earlier hipnat releases wrote it: ECC Curve | x | y, without the 0x04 octet. Only
    /// used to tell an operator the HIT a key had before (<see cref="HostIdentity.HitBeforeUncompressedPoint"/>);
    /// still accepted from peers by <see cref="TryDecodeEcdsa"/>.
    /// </summary>
    public static byte[] EncodeEcdsaCoordinatesOnly(EccCurve curve, in ECPoint q)
    {
        int n = CoordinateLength(curve);
        var buffer = new byte[2 + (2 * n)];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)curve);
        WriteFixed(q.X, buffer.AsSpan(2, n));
        WriteFixed(q.Y, buffer.AsSpan(2 + n, n));
        return buffer;
    }

    /// <summary>
    /// Decodes an ECDSA Host Identity field: the SEC 1 uncompressed point (0x04 | x | y) that hipnat writes, or the
    /// bare coordinates x | y that earlier hipnat releases wrote. Either way the HIT is over the octets received
    /// (RFC 7401 §3.2); the point itself is checked when the key is imported.
    /// </summary>
    public static bool TryDecodeEcdsa(ReadOnlySpan<byte> hi, out EccCurve curve, out ECParameters parameters, out string? error)
    {
        parameters = default;
        curve = EccCurve.Reserved;
        if (hi.Length < 2)
        {
            error = "ECDSA host identity is shorter than its curve label";
            return false;
        }

        var label = (EccCurve)BinaryPrimitives.ReadUInt16BigEndian(hi);
        if (label is not (EccCurve.NistP256 or EccCurve.NistP384))
        {
            error = $"unsupported ECC curve {(ushort)label} in ECDSA host identity (supported: 1 = NIST P-256, 2 = NIST P-384)";
            return false;
        }

        int n = CoordinateLength(label);
        ReadOnlySpan<byte> point = hi[2..];
        if (point.Length == (2 * n) + 1 && point[0] == UncompressedPoint)
        {
            point = point[1..];
        }

        if (point.Length != 2 * n)
        {
            error = $"ECDSA host identity on curve {label} must carry {(2 * n) + 1} public key octets (0x04 | x | y) or {2 * n} (x | y), not {hi.Length - 2}";
            return false;
        }

        curve = label;
        parameters = new ECParameters
        {
            Curve = ToNamedCurve(label),
            Q = new ECPoint { X = point[..n].ToArray(), Y = point[n..].ToArray() },
        };
        error = null;
        return true;
    }

    public static void WriteFixed(ReadOnlySpan<byte> value, Span<byte> destination)
    {
        value = TrimLeadingZeros(value);
        if (value.Length > destination.Length)
        {
            throw new CryptographicException("integer does not fit its fixed-length field");
        }

        destination[..^value.Length].Clear();
        value.CopyTo(destination[^value.Length..]);
    }

    private static ReadOnlySpan<byte> TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }

        return value[i..];
    }
}
