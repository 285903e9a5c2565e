using System.Globalization;
using System.Text;

namespace Hipnat.Nat.Stun;

/// <summary>
/// SASLprep (RFC 4013, a stringprep profile of RFC 3454) as STUN applies it to passwords: the long-term key is
/// MD5(username ":" realm ":" SASLprep(password)) (RFC 5769 §2.4, whose vector this reproduces), and RFC 8489
/// §9.1.1/§9.2.2 name the successor profile, OpaqueString, for the same place.
/// Steps: non-ASCII spaces (C.1.2) to U+0020; "commonly mapped to nothing" (B.1) removed; NFKC; prohibited
/// output (C.1.2-C.9) rejected; the bidirectional rule of RFC 3454 §6 checked.
/// NFKC uses the runtime's normaliser. With invariant globalisation that normaliser does nothing, so a built-in
/// table applies the compatibility mappings a password is likely to contain (Latin-1 ordinals and superscripts,
/// Roman numerals, full-width ASCII, Latin ligatures, letter-like symbols) first; other compatibility characters
/// then pass unchanged. Unassigned code points are allowed (the "query" profile).
/// </summary>
public static class SaslPrep
{
    private static readonly bool RuntimeNormalizes = IsRuntimeNormalizing();

    /// <summary>Prepares <paramref name="input"/>; false if it contains prohibited output or fails the bidi rule.</summary>
    public static bool TryPrepare(string input, out string output)
    {
        output = string.Empty;
        var mapped = new StringBuilder(input.Length);
        for (int i = 0; i < input.Length; i++)
        {
            int cp;
            if (char.IsHighSurrogate(input[i]) && i + 1 < input.Length && char.IsLowSurrogate(input[i + 1]))
            {
                cp = char.ConvertToUtf32(input[i], input[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(input[i]))
            {
                // RFC 3454 C.5: surrogate codes are prohibited.
                return false;
            }
            else
            {
                cp = input[i];
            }

            if (IsMappedToNothing(cp))
            {
                continue;
            }

            if (IsNonAsciiSpace(cp))
            {
                mapped.Append(' ');
                continue;
            }

            string? compatibility = RuntimeNormalizes ? null : CompatibilityMapping(cp);
            if (compatibility is not null)
            {
                mapped.Append(compatibility);
            }
            else
            {
                mapped.Append(char.ConvertFromUtf32(cp));
            }
        }

        string normalized;
        try
        {
            normalized = mapped.ToString().Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return false;
        }

        bool hasRandAL = false;
        bool hasL = false;
        int firstCp = -1;
        int lastCp = -1;
        for (int i = 0; i < normalized.Length; i++)
        {
            int cp = char.ConvertToUtf32(normalized, i);
            if (cp > 0xFFFF)
            {
                i++;
            }

            if (IsProhibited(cp))
            {
                return false;
            }

            if (firstCp < 0)
            {
                firstCp = cp;
            }

            lastCp = cp;
            if (IsRandAL(cp))
            {
                hasRandAL = true;
            }
            else if (IsL(cp))
            {
                hasL = true;
            }
        }

        // RFC 3454 §6: with any RandALCat character, no LCat character, and RandALCat first and last.
        if (hasRandAL && (hasL || !IsRandAL(firstCp) || !IsRandAL(lastCp)))
        {
            return false;
        }

        output = normalized;
        return true;
    }

    /// <summary>As <see cref="TryPrepare"/>, throwing <see cref="ArgumentException"/> on prohibited input (configured secrets).</summary>
    public static string Prepare(string input) =>
        TryPrepare(input, out var output) ? output : throw new ArgumentException("not a valid SASLprep string (RFC 4013)", nameof(input));

    private static bool IsRuntimeNormalizing()
    {
        try
        {
            return "\u2168".Normalize(NormalizationForm.FormKC) == "IX";
        }
        catch (PlatformNotSupportedException)
        {
            return false;
        }
    }

    /// <summary>RFC 3454 Table B.1.</summary>
    private static bool IsMappedToNothing(int cp) => cp is 0x00AD or 0x034F or 0x1806 or (>= 0x180B and <= 0x180D)
        or 0x200B or 0x200C or 0x200D or 0x2060 or (>= 0xFE00 and <= 0xFE0F) or 0xFEFF;

    /// <summary>RFC 3454 Table C.1.2, which RFC 4013 §2.1 maps to SPACE.</summary>
    private static bool IsNonAsciiSpace(int cp) => cp is 0x00A0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x202F or 0x205F or 0x3000;

    /// <summary>RFC 4013 §2.3: C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9.</summary>
    private static bool IsProhibited(int cp) =>
        IsNonAsciiSpace(cp)
        || cp is < 0x20 or 0x7F // C.2.1
        || cp is (>= 0x80 and <= 0x9F) or 0x06DD or 0x070F or 0x180E or 0x200C or 0x200D or 0x2028 or 0x2029
            or (>= 0x2060 and <= 0x2063) or (>= 0x206A and <= 0x206F) or 0xFEFF or (>= 0xFFF9 and <= 0xFFFC)
            or (>= 0x1D173 and <= 0x1D17A) // C.2.2
        || cp is (>= 0xE000 and <= 0xF8FF) or (>= 0xF0000 and <= 0xFFFFD) or (>= 0x100000 and <= 0x10FFFD) // C.3
        || (cp is >= 0xFDD0 and <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE // C.4
        || cp is >= 0xD800 and <= 0xDFFF // C.5
        || cp is >= 0xFFF9 and <= 0xFFFD // C.6
        || cp is >= 0x2FF0 and <= 0x2FFB // C.7
        || cp is 0x0340 or 0x0341 or 0x200E or 0x200F or (>= 0x202A and <= 0x202E) // C.8
        || cp is 0xE0001 or (>= 0xE0020 and <= 0xE007F); // C.9

    /// <summary>RFC 3454 Table D.1 (characters with bidirectional property R or AL).</summary>
    private static bool IsRandAL(int cp) => cp is 0x05BE or 0x05C0 or 0x05C3 or (>= 0x05D0 and <= 0x05EA) or (>= 0x05F0 and <= 0x05F4)
        or 0x061B or 0x061F or (>= 0x0621 and <= 0x063A) or (>= 0x0640 and <= 0x064A) or (>= 0x066D and <= 0x066F)
        or (>= 0x0671 and <= 0x06D5) or 0x06DD or (>= 0x06E5 and <= 0x06E6) or (>= 0x06FA and <= 0x06FE)
        or (>= 0x0700 and <= 0x070D) or 0x0710 or (>= 0x0712 and <= 0x072C) or (>= 0x0780 and <= 0x07A5) or 0x07B1
        or 0x200F or 0xFB1D or (>= 0xFB1F and <= 0xFB28) or (>= 0xFB2A and <= 0xFB36) or (>= 0xFB38 and <= 0xFB3C)
        or 0xFB3E or (>= 0xFB40 and <= 0xFB41) or (>= 0xFB43 and <= 0xFB44) or (>= 0xFB46 and <= 0xFBB1)
        or (>= 0xFBD3 and <= 0xFD3D) or (>= 0xFD50 and <= 0xFD8F) or (>= 0xFD92 and <= 0xFDC7) or (>= 0xFDF0 and <= 0xFDFC)
        or (>= 0xFE70 and <= 0xFE74) or (>= 0xFE76 and <= 0xFEFC);

    /// <summary>
    /// Table D.2 (bidirectional property L), approximated by the letter and spacing-mark categories outside D.1.
    /// </summary>
    private static bool IsL(int cp)
    {
        var category = CharUnicodeInfo.GetUnicodeCategory(cp);
        return category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.SpacingCombiningMark;
    }

    private static readonly string[] RomanNumerals =
        ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "L", "C", "D", "M"];

    private static readonly string[] SmallRomanNumerals =
        ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "l", "c", "d", "m"];

    /// <summary>NFKC compatibility mappings used when the runtime cannot normalise (see the type remarks).</summary>
    private static string? CompatibilityMapping(int cp) => cp switch
    {
        0x00AA => "a",
        0x00B2 => "2",
        0x00B3 => "3",
        0x00B5 => "\u03BC",
        0x00B9 => "1",
        0x00BA => "o",
        0x00BC => "1\u20444",
        0x00BD => "1\u20442",
        0x00BE => "3\u20444",
        0x2122 => "TM",
        0x2126 => "\u03A9",
        0x212A => "K",
        0x212B => "\u00C5",
        >= 0x2160 and <= 0x216F => RomanNumerals[cp - 0x2160],
        >= 0x2170 and <= 0x217F => SmallRomanNumerals[cp - 0x2170],
        >= 0xFF01 and <= 0xFF5E => ((char)(cp - 0xFF01 + 0x21)).ToString(),
        0xFB00 => "ff",
        0xFB01 => "fi",
        0xFB02 => "fl",
        0xFB03 => "ffi",
        0xFB04 => "ffl",
        0xFB05 or 0xFB06 => "st",
        _ => null,
    };
}
