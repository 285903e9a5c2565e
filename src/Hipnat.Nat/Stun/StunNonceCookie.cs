namespace Hipnat.Nat.Stun;

/// <summary>
/// The 13-character "nonce cookie" an RFC 8489 server puts at the start of NONCE: "obMatJos2" and the base64 of
/// the 3-octet security feature set (RFC 8489 §9.2).
/// </summary>
public static class StunNonceCookie
{
    public const string Prefix = "obMatJos2";
    public const int Length = 13;

    /// <summary>The cookie for a feature set.</summary>
    public static string Create(StunSecurityFeatures features)
    {
        int bits = (int)features & 0xFFFFFF;
        return Prefix + Convert.ToBase64String([(byte)(bits >> 16), (byte)(bits >> 8), (byte)bits]);
    }

    /// <summary>Reads the feature set if <paramref name="nonce"/> starts with a nonce cookie. Never throws.</summary>
    public static bool TryParse(string? nonce, out StunSecurityFeatures features)
    {
        features = StunSecurityFeatures.None;
        if (nonce is null || nonce.Length < Length || !nonce.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[3];
        if (!Convert.TryFromBase64String(nonce.Substring(Prefix.Length, 4), bytes, out int written) || written != 3)
        {
            return false;
        }

        features = (StunSecurityFeatures)((bytes[0] << 16) | (bytes[1] << 8) | bytes[2]);
        return true;
    }
}
