using System.Diagnostics.CodeAnalysis;
using Hipnat.Wire;
using Hipnat.Wire.Dns;

namespace Hipnat.Crypto;

/// <summary>
/// The Host Identity of a HIP resource record (RFC 8005 §5.5) and its HOST_ID form (RFC 7401 §5.2.9), so that the
/// record's HIT can be checked against HIT = ORCHID(HI) with the same octets the base exchange will carry.
/// RSA: the record and HOST_ID both carry RFC 3110's e_len | e | n. ECDSA: the record carries RFC 6605's x | y
/// (the curve implied by the length), HOST_ID the curve label and the uncompressed point 0x04 | x | y.
/// </summary>
public static class HipRecordIdentity
{
    /// <summary>A record for <paramref name="identity"/> with these rendezvous servers (RFC 8005 §4.1).</summary>
    public static HipResourceRecord CreateRecord(HostIdentity identity, IEnumerable<string>? rendezvousServers = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var (algorithm, key) = ToRecordKey(identity.Algorithm, identity.HostIdBytes.Span);
        return HipResourceRecord.Create(algorithm, identity.Hit.ToArray(), key, rendezvousServers);
    }

    /// <summary>The record's PK algorithm and Public Key for a HOST_ID Host Identity (RFC 8005 §5.2, §5.5).</summary>
    public static (HipRecordAlgorithm Algorithm, byte[] PublicKey) ToRecordKey(HostIdentityAlgorithm algorithm, ReadOnlySpan<byte> hostId)
    {
        switch (algorithm)
        {
            case HostIdentityAlgorithm.Rsa:
                // RFC 8005 §5.5: the RSA key format of RFC 3110, the same octets HOST_ID carries (RFC 7401 §5.2.9).
                return (HipRecordAlgorithm.Rsa, hostId.ToArray());
            case HostIdentityAlgorithm.Ecdsa:
                {
                    // RFC 8005 §5.5, RFC 6605 §4: the public key Q as x | y, without a curve label or point format octet.
                    if (!HostIdEncoding.TryDecodeEcdsa(hostId, out var curve, out var parameters, out var error))
                    {
                        throw new ArgumentException(error, nameof(hostId));
                    }

                    int n = HostIdEncoding.CoordinateLength(curve);
                    var key = new byte[2 * n];
                    HostIdEncoding.WriteFixed(parameters.Q.X, key.AsSpan(0, n));
                    HostIdEncoding.WriteFixed(parameters.Q.Y, key.AsSpan(n, n));
                    return (HipRecordAlgorithm.Ecdsa, key);
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "only RSA and ECDSA host identities have a HIP record form");
        }
    }

    /// <summary>
    /// The HOST_ID algorithm and Host Identity field for a record's key, as hipnat puts them in HOST_ID. Never throws;
    /// an algorithm or key length hipnat does not support is an error naming it.
    /// </summary>
    public static bool TryToHostId(
        HipRecordAlgorithm algorithm,
        ReadOnlySpan<byte> publicKey,
        out HostIdentityAlgorithm hostIdAlgorithm,
        [NotNullWhen(true)] out byte[]? hostId,
        [NotNullWhen(false)] out string? error)
    {
        hostIdAlgorithm = HostIdentityAlgorithm.Reserved;
        hostId = null;
        switch (algorithm)
        {
            case HipRecordAlgorithm.Rsa:
                hostIdAlgorithm = HostIdentityAlgorithm.Rsa;
                hostId = publicKey.ToArray();
                error = null;
                return true;
            case HipRecordAlgorithm.Ecdsa:
                {
                    // RFC 6605 §4: 64 octets for P-256, 96 for P-384.
                    EccCurve curve = publicKey.Length switch
                    {
                        64 => EccCurve.NistP256,
                        96 => EccCurve.NistP384,
                        _ => EccCurve.Reserved,
                    };
                    if (curve == EccCurve.Reserved)
                    {
                        error = $"an ECDSA public key of {publicKey.Length} octets is neither P-256 (64 octets x | y) nor P-384 (96), RFC 6605 §4";
                        return false;
                    }

                    hostIdAlgorithm = HostIdentityAlgorithm.Ecdsa;
                    hostId = new byte[3 + publicKey.Length];
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(hostId, (ushort)curve);
                    hostId[2] = HostIdEncoding.UncompressedPoint;
                    publicKey.CopyTo(hostId.AsSpan(3));
                    error = null;
                    return true;
                }

            default:
                error = $"PK algorithm {(byte)algorithm} ({Name(algorithm)}) is not supported; hipnat host identities are RSA (2) or ECDSA (3), RFC 8005 §9";
                return false;
        }
    }

    /// <summary>
    /// Checks a record (RFC 8005 §4.1: the HIT MUST be calculated from the HI): the key must be a usable host
    /// identity and ORCHID(HI) must equal the record's HIT. Returns the computed HIT; on failure an error that names
    /// both HITs. Never throws.
    /// </summary>
    public static bool TryVerify(HipResourceRecord record, out Hit hit, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(record);
        hit = default;
        if (!TryToHostId(record.Algorithm, record.PublicKey.Span, out var algorithm, out var hostId, out error))
        {
            return false;
        }

        if (!PeerHostIdentity.TryCreate(algorithm, hostId, out var peer, out var keyError))
        {
            error = "its public key is not a usable host identity: " + keyError;
            return false;
        }

        using (peer)
        {
            hit = peer.Hit;
        }

        if (record.Hit is not { } stated)
        {
            error = $"its HIT field is {record.HitBytes.Length} octets long, not 16; the HIT of its public key is {hit}";
            return false;
        }

        if (stated != hit)
        {
            string note = string.Empty;
            if (algorithm == HostIdentityAlgorithm.Ecdsa && hostId.Length > 3 && stated == Orchid.ComputeHit(algorithm, LegacyEcdsa(hostId)))
            {
                note = " (the record's HIT is the one earlier hipnat releases gave this key; write the record again with `hipnat dns-record`)";
            }

            error = $"its HIT {stated} is not the HIT of its public key, {hit} (RFC 8005 §4.1: HIT = ORCHID(HI)){note}";
            return false;
        }

        error = null;
        return true;
    }

    private static byte[] LegacyEcdsa(byte[] hostId)
    {
        // ECC Curve | x | y, without the 0x04 octet (HostIdEncoding.EncodeEcdsaCoordinatesOnly).
        var legacy = new byte[hostId.Length - 1];
        hostId.AsSpan(0, 2).CopyTo(legacy);
        hostId.AsSpan(3).CopyTo(legacy.AsSpan(2));
        return legacy;
    }

    private static string Name(HipRecordAlgorithm algorithm) => algorithm switch
    {
        HipRecordAlgorithm.Dsa => "DSA",
        HipRecordAlgorithm.Rsa => "RSA",
        HipRecordAlgorithm.Ecdsa => "ECDSA",
        _ => "unassigned",
    };
}
