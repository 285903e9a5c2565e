using System.Buffers;
using System.Security.Cryptography;

namespace Hipnat.Crypto;

/// <summary>
/// HMAC values of HIP_MAC (RFC 7401 §5.2.12) and HIP_MAC_2 (§5.2.13), computed as §6.4.1 describes with the
/// HMAC of the Responder's HIT suite and the sender's HIP-gl or HIP-lg integrity key (§6.5). The caller
/// prepares the covered bytes (header with zero checksum and adjusted length, parameters below HIP_MAC's type).
/// </summary>
public static class HipMac
{
    private const int StackLimit = 2048;

    /// <summary>Length of the HMAC field: the natural output size of RHASH.</summary>
    public static int Length(HitSuite suite) => suite.HmacLength();

    /// <summary>HIP_MAC: HMAC over <paramref name="data"/>; returns the number of octets written to <paramref name="mac"/>.</summary>
    public static int Compute(HitSuite suite, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac) =>
        suite.Hmac(key, data, mac);

    /// <summary>Checks a received HIP_MAC in constant time. False for a wrong length or value; never throws.</summary>
    public static bool Verify(HitSuite suite, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> mac)
    {
        if (!suite.IsDefined() || mac.Length != suite.HmacLength())
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[64];
        expected = expected[..suite.Hmac(key, data, expected)];
        return CryptographicOperations.FixedTimeEquals(expected, mac);
    }

    /// <summary>
    /// HIP_MAC_2: HMAC over { HIP header | parameters | HOST_ID } (RFC 7401 §6.4.1), where
    /// <paramref name="hostIdParameter"/> is the whole HOST_ID parameter (Type, Length, contents, padding) exactly
    /// as the Responder sent it in R1, and the header length in <paramref name="packet"/> already counts it.
    /// </summary>
    public static int ComputeMac2(
        HitSuite suite,
        ReadOnlySpan<byte> key,
        ReadOnlySpan<byte> packet,
        ReadOnlySpan<byte> hostIdParameter,
        Span<byte> mac)
    {
        int total = packet.Length + hostIdParameter.Length;
        byte[]? rented = null;
        Span<byte> buffer = total <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(total));
        buffer = buffer[..total];
        try
        {
            packet.CopyTo(buffer);
            hostIdParameter.CopyTo(buffer[packet.Length..]);
            return suite.Hmac(key, buffer, mac);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Checks a received HIP_MAC_2 in constant time. False for a wrong length or value; never throws.</summary>
    public static bool VerifyMac2(
        HitSuite suite,
        ReadOnlySpan<byte> key,
        ReadOnlySpan<byte> packet,
        ReadOnlySpan<byte> hostIdParameter,
        ReadOnlySpan<byte> mac)
    {
        if (!suite.IsDefined() || mac.Length != suite.HmacLength())
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[64];
        expected = expected[..ComputeMac2(suite, key, packet, hostIdParameter, expected)];
        return CryptographicOperations.FixedTimeEquals(expected, mac);
    }
}
