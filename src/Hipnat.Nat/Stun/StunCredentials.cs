using System.Security.Cryptography;
using System.Text;

namespace Hipnat.Nat.Stun;

/// <summary>
/// HMAC keys for MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9.1.1, §9.2.2, §18.5.1) and the
/// USERHASH value (§14.4). Strings are UTF-8 after <see cref="SaslPrep"/>.
/// </summary>
public static class StunCredentials
{
    /// <summary>Short-term key: the prepared password itself (RFC 8489 §9.1.1).</summary>
    public static byte[] ShortTermKey(string password) => Encoding.UTF8.GetBytes(SaslPrep.Prepare(password));

    /// <summary>
    /// Long-term key (RFC 8489 §9.2.2, §18.5.1): MD5 (16 octets) or SHA-256 (32 octets) of
    /// username ":" realm ":" password, with quotes and trailing nulls removed from username and realm and
    /// trailing nulls from the password, the password prepared (RFC 5769 §2.4).
    /// </summary>
    public static byte[] LongTermKey(string username, string realm, string password, StunPasswordAlgorithm algorithm = StunPasswordAlgorithm.Md5)
    {
        string input = Clean(username) + ":" + Clean(realm) + ":" + SaslPrep.Prepare(password.TrimEnd('\0'));
        var bytes = Encoding.UTF8.GetBytes(input);
        return algorithm switch
        {
            StunPasswordAlgorithm.Md5 => MD5.HashData(bytes),
            StunPasswordAlgorithm.Sha256 => SHA256.HashData(bytes),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unsupported password algorithm"),
        };
    }

    /// <summary>USERHASH = SHA-256(username ":" realm) (RFC 8489 §14.4).</summary>
    public static byte[] UserHash(string username, string realm) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(Clean(username) + ":" + Clean(realm)));

    /// <summary>True for the algorithms this implementation can derive keys with.</summary>
    public static bool IsSupported(StunPasswordAlgorithm algorithm) =>
        algorithm is StunPasswordAlgorithm.Md5 or StunPasswordAlgorithm.Sha256;

    private static string Clean(string value) => value.TrimEnd('\0').Trim('"');
}
