using System.Globalization;
using System.Text;
using Hipnat.Wire;

namespace Hipnat.Nat.Stun;

/// <summary>
/// STUN short-term credentials of HIP's ICE-STUN-UDP mode (RFC 5770 §5.2): the username fragment of a host is the
/// last 32 bits of its HIT in 8 lowercase hex digits; the password is a 128-bit key drawn from the HIP DH keying
/// material after the HIP (and ESP) keys, written as 32 lowercase hex digits, and is the same for both hosts.
/// Being hex, neither needs SASLprep.
/// </summary>
public static class HipStunCredentials
{
    /// <summary>Octets of the STUN key drawn from KEYMAT (RFC 5770 §5.2).</summary>
    public const int KeyLength = 16;

    /// <summary>"72376c0a" for HIT 2001:15:8ebe:1aa7:42f5:b413:7237:6c0a (RFC 5770 §5.2).</summary>
    public static string UsernameFragment(Hit hit) => ((uint)hit.Low).ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>
    /// USERNAME of a connectivity check the local host sends: the peer's fragment, a colon, then its own
    /// (RFC 5245 §7.1.2.3, referenced by RFC 5770 §5.2).
    /// </summary>
    public static string RequestUsername(Hit local, Hit remote) => UsernameFragment(remote) + ":" + UsernameFragment(local);

    /// <summary>USERNAME the local host expects in checks it receives from <paramref name="remote"/>.</summary>
    public static string ExpectedUsername(Hit local, Hit remote) => RequestUsername(remote, local);

    /// <summary>The password: the 128-bit KEYMAT draw in lowercase hex.</summary>
    public static string Password(ReadOnlySpan<byte> keymatDraw)
    {
        if (keymatDraw.Length != KeyLength)
        {
            throw new ArgumentException("the STUN key drawn from KEYMAT is 128 bits (RFC 5770 §5.2)", nameof(keymatDraw));
        }

        return Convert.ToHexStringLower(keymatDraw);
    }

    /// <summary>The HMAC key of both directions (RFC 8489 §9.1.1 applied to <see cref="Password"/>).</summary>
    public static byte[] ShortTermKey(ReadOnlySpan<byte> keymatDraw) => Encoding.ASCII.GetBytes(Password(keymatDraw));
}
