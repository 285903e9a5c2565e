using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Hipnat.DataPlane.Esp;

/// <summary>AES key expansion with AES-NI (FIPS-197 §5.2) and the equivalent inverse cipher's keys (§5.3.5).</summary>
internal static class AesKeySchedule
{
    /// <summary>Number of rounds for a 16- or 32-octet key.</summary>
    public static int Rounds(int keyLength) => keyLength == 16 ? 10 : 14;

    /// <summary>
    /// FIPS-197 §5.2. AESKEYGENASSIST yields SubWord(RotWord(w)) xor Rcon (dword 3) and SubWord(w) (dword 2) of the
    /// last word; the three shifted XORs form the running XOR of the previous round key's words.
    /// </summary>
    public static void Expand(ReadOnlySpan<byte> key, ref AesRoundKeys keys)
    {
        Span<Vector128<byte>> k = keys;
        k[0] = Vector128.Create(key[..16]);
        if (key.Length == 16)
        {
            k[1] = Mix(k[0], Word3(X86Aes.KeygenAssist(k[0], 0x01)));
            k[2] = Mix(k[1], Word3(X86Aes.KeygenAssist(k[1], 0x02)));
            k[3] = Mix(k[2], Word3(X86Aes.KeygenAssist(k[2], 0x04)));
            k[4] = Mix(k[3], Word3(X86Aes.KeygenAssist(k[3], 0x08)));
            k[5] = Mix(k[4], Word3(X86Aes.KeygenAssist(k[4], 0x10)));
            k[6] = Mix(k[5], Word3(X86Aes.KeygenAssist(k[5], 0x20)));
            k[7] = Mix(k[6], Word3(X86Aes.KeygenAssist(k[6], 0x40)));
            k[8] = Mix(k[7], Word3(X86Aes.KeygenAssist(k[7], 0x80)));
            k[9] = Mix(k[8], Word3(X86Aes.KeygenAssist(k[8], 0x1B)));
            k[10] = Mix(k[9], Word3(X86Aes.KeygenAssist(k[9], 0x36)));
            return;
        }

        k[1] = Vector128.Create(key[16..32]);
        k[2] = Mix(k[0], Word3(X86Aes.KeygenAssist(k[1], 0x01)));
        k[3] = Mix(k[1], Word2(X86Aes.KeygenAssist(k[2], 0x00)));
        k[4] = Mix(k[2], Word3(X86Aes.KeygenAssist(k[3], 0x02)));
        k[5] = Mix(k[3], Word2(X86Aes.KeygenAssist(k[4], 0x00)));
        k[6] = Mix(k[4], Word3(X86Aes.KeygenAssist(k[5], 0x04)));
        k[7] = Mix(k[5], Word2(X86Aes.KeygenAssist(k[6], 0x00)));
        k[8] = Mix(k[6], Word3(X86Aes.KeygenAssist(k[7], 0x08)));
        k[9] = Mix(k[7], Word2(X86Aes.KeygenAssist(k[8], 0x00)));
        k[10] = Mix(k[8], Word3(X86Aes.KeygenAssist(k[9], 0x10)));
        k[11] = Mix(k[9], Word2(X86Aes.KeygenAssist(k[10], 0x00)));
        k[12] = Mix(k[10], Word3(X86Aes.KeygenAssist(k[11], 0x20)));
        k[13] = Mix(k[11], Word2(X86Aes.KeygenAssist(k[12], 0x00)));
        k[14] = Mix(k[12], Word3(X86Aes.KeygenAssist(k[13], 0x40)));
    }

    /// <summary>
    /// FIPS-197 §5.3.5 equivalent inverse cipher: decryption round keys are the encryption keys in reverse order,
    /// the inner ones passed through InvMixColumns.
    /// </summary>
    public static void Invert(in AesRoundKeys encryptKeys, ref AesRoundKeys decryptKeys, int rounds)
    {
        ReadOnlySpan<Vector128<byte>> k = encryptKeys;
        Span<Vector128<byte>> d = decryptKeys;
        d[0] = k[rounds];
        for (int r = 1; r < rounds; r++)
        {
            d[r] = X86Aes.InverseMixColumns(k[rounds - r]);
        }

        d[rounds] = k[0];
    }

    private static Vector128<byte> Word3(Vector128<byte> v) => Sse2.Shuffle(v.AsUInt32(), 0xFF).AsByte();

    private static Vector128<byte> Word2(Vector128<byte> v) => Sse2.Shuffle(v.AsUInt32(), 0xAA).AsByte();

    private static Vector128<byte> Mix(Vector128<byte> previous, Vector128<byte> assist)
    {
        previous = Sse2.Xor(previous, Sse2.ShiftLeftLogical128BitLane(previous, 4));
        previous = Sse2.Xor(previous, Sse2.ShiftLeftLogical128BitLane(previous, 4));
        previous = Sse2.Xor(previous, Sse2.ShiftLeftLogical128BitLane(previous, 4));
        return Sse2.Xor(previous, assist);
    }
}
