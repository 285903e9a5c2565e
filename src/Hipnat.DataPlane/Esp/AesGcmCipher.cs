using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Hipnat.DataPlane.Esp;

/// <summary>
/// AES-GCM with a 12-octet nonce and a 16-octet tag (the GCM of RFC 4106 §2, specified in NIST SP 800-38D) for one
/// SA, keyed once. With AES-NI and PCLMULQDQ the counter mode and GHASH run on the CPU's instructions; the tag is
/// verified before anything is decrypted, nothing allocates and a forged packet costs no exception. Otherwise it
/// falls back to <see cref="AesGcm"/>. Not thread-safe (the SA serialises calls).
/// </summary>
/// <remarks>
/// GHASH works on byte-reversed blocks so that the GCM bit order (x^0 is the most significant bit of the first
/// octet) maps onto carry-less multiplication of 128-bit integers: the 256-bit product of two reversed operands is
/// shifted left by one bit and reduced modulo x^128 + x^7 + x^2 + x + 1. Four blocks are multiplied by H^4..H^1 and
/// their products summed before a single reduction (multiplication distributes over XOR).
/// </remarks>
internal sealed class AesGcmCipher : IDisposable
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
    private const int Block = 16;

    private AesRoundKeys _keys;
    private readonly int _rounds;
    private readonly AesGcm? _fallback;
    private Vector128<ulong> _h1;
    private Vector128<ulong> _h2;
    private Vector128<ulong> _h3;
    private Vector128<ulong> _h4;

    // H^8:H^7, H^6:H^5, H^4:H^3, H^2:H^1 side by side (the first in the low lane) for eight-block GHASH with
    // VPCLMULQDQ; unset without it.
    private readonly bool _wide;
    private Vector256<ulong> _h87;
    private Vector256<ulong> _h65;
    private Vector256<ulong> _h43;
    private Vector256<ulong> _h21;

    /// <param name="key">The 16- or 32-octet AES key.</param>
    /// <param name="useHardware">False: the platform's <see cref="AesGcm"/> (tests compare the two).</param>
    /// <param name="useWide">False: GHASH four blocks at a time with 128-bit PCLMULQDQ even where 256-bit
    /// VPCLMULQDQ is there (tests cover both paths).</param>
    public AesGcmCipher(ReadOnlySpan<byte> key, bool useHardware = true, bool useWide = true)
    {
        if (key.Length is not (16 or 32))
        {
            throw new ArgumentException("an AES-GCM key is 16 or 32 octets", nameof(key));
        }

        _rounds = AesKeySchedule.Rounds(key.Length);
        if (!useHardware || !IsHardwareAccelerated)
        {
            _fallback = new AesGcm(key, TagSize);
            return;
        }

        AesKeySchedule.Expand(key, ref _keys);

        // SP 800-38D §6.4: H = E(K, 0^128); its powers for four-block aggregation.
        _h1 = Reverse(EncryptBlock(Vector128<byte>.Zero)).AsUInt64();
        _h2 = Multiply(_h1, _h1);
        _h3 = Multiply(_h2, _h1);
        _h4 = Multiply(_h3, _h1);
        if (useWide && IsWideAccelerated)
        {
            var h5 = Multiply(_h4, _h1);
            var h6 = Multiply(h5, _h1);
            var h7 = Multiply(h6, _h1);
            var h8 = Multiply(h7, _h1);
            _h87 = Vector256.Create(h8, h7);
            _h65 = Vector256.Create(h6, h5);
            _h43 = Vector256.Create(_h4, _h3);
            _h21 = Vector256.Create(_h2, _h1);
            _wide = true;
        }
    }

    /// <summary>True where 256-bit carry-less multiplication (VPCLMULQDQ) and AVX2 are there.</summary>
    public static bool IsWideAccelerated => Pclmulqdq.V256.IsSupported && Avx2.IsSupported;

    /// <summary>True when GHASH runs eight blocks at a time on 256-bit vectors.</summary>
    public bool UsesWide => _wide;

    public static bool IsHardwareAccelerated =>
        X86Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported && Sse41.IsSupported;

    public bool UsesHardware => _fallback is null;

    /// <summary>Encrypts <paramref name="data"/> in place and writes the 16-octet tag.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, Span<byte> data, Span<byte> tag, ReadOnlySpan<byte> aad)
    {
        if (_fallback is not null)
        {
            _fallback.Encrypt(nonce, data, data, tag, aad);
            return;
        }

        var j0 = CounterBlock(nonce, 1);
        Ctr(j0, data, data);
        ComputeTag(j0, aad, data, tag);
    }

    /// <summary>
    /// Verifies the tag over <paramref name="aad"/> and <paramref name="ciphertext"/> and only then decrypts into
    /// <paramref name="plaintext"/> (disjoint, or the same memory). False, with nothing written, when the tag is wrong.
    /// </summary>
    public bool Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        if (_fallback is not null)
        {
            try
            {
                _fallback.Decrypt(nonce, ciphertext, tag, plaintext, aad);
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                return false;
            }
        }

        var j0 = CounterBlock(nonce, 1);
        Span<byte> expected = stackalloc byte[TagSize];
        ComputeTag(j0, aad, ciphertext, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, tag))
        {
            return false;
        }

        Ctr(j0, ciphertext, plaintext[..ciphertext.Length]);
        return true;
    }

    public void Dispose()
    {
        _fallback?.Dispose();
        _keys = default;
        _h1 = _h2 = _h3 = _h4 = default;
        _h87 = _h65 = _h43 = _h21 = default;
    }

    private static Vector128<byte> CounterBlock(ReadOnlySpan<byte> nonce, uint counter)
    {
        // SP 800-38D §7.1: with a 96-bit IV, J0 = IV || 0^31 || 1.
        Span<byte> block = stackalloc byte[Block];
        nonce[..NonceSize].CopyTo(block);
        BinaryPrimitives.WriteUInt32BigEndian(block[NonceSize..], counter);
        return Vector128.Create((ReadOnlySpan<byte>)block);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> WithCounter(Vector128<byte> j0, uint counter) =>
        Sse41.Insert(j0.AsUInt32(), BinaryPrimitives.ReverseEndianness(counter), 3).AsByte();

    /// <summary>SP 800-38D §6.5 GCTR from inc32(J0): keystream blocks E(K, J0 + i), i = 1, 2, ...</summary>
    private void Ctr(Vector128<byte> j0, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        nuint length = (nuint)source.Length;
        nuint off = 0;
        uint counter = 2;
        for (; off + (8 * Block) <= length; off += 8 * Block, counter += 8)
        {
            // Eight blocks in flight keep both AES units of a core busy (AESENC has a latency of several cycles).
            Encrypt8(
                WithCounter(j0, counter), WithCounter(j0, counter + 1), WithCounter(j0, counter + 2), WithCounter(j0, counter + 3),
                WithCounter(j0, counter + 4), WithCounter(j0, counter + 5), WithCounter(j0, counter + 6), WithCounter(j0, counter + 7),
                out var k0, out var k1, out var k2, out var k3, out var k4, out var k5, out var k6, out var k7);
            Sse2.Xor(Vector128.LoadUnsafe(ref src, off), k0).StoreUnsafe(ref dst, off);
            Sse2.Xor(Vector128.LoadUnsafe(ref src, off + 16), k1).StoreUnsafe(ref dst, off + 16);
            Sse2.Xor(Vector128.LoadUnsafe(ref src, off + 32), k2).StoreUnsafe(ref dst, off + 32);
            Sse2.Xor(Vector128.LoadUnsafe(ref src, off + 48), k3).StoreUnsafe(ref dst, off + 48);
            Sse2.Xor(Vector128.LoadUnsafe(ref src, off + 64), k4).StoreUnsafe(ref dst, off + 64);
            Sse2.Xor(Vector128.LoadUnsafe(ref src, off + 80), k5).StoreUnsafe(ref dst, off + 80);
            Sse2.Xor(Vector128.LoadUnsafe(ref src, off + 96), k6).StoreUnsafe(ref dst, off + 96);
            Sse2.Xor(Vector128.LoadUnsafe(ref src, off + 112), k7).StoreUnsafe(ref dst, off + 112);
        }

        for (; off + (4 * Block) <= length; off += 4 * Block, counter += 4)
        {
            Encrypt4(
                WithCounter(j0, counter), WithCounter(j0, counter + 1), WithCounter(j0, counter + 2), WithCounter(j0, counter + 3),
                out var k0, out var k1, out var k2, out var k3);
            var d0 = Vector128.LoadUnsafe(ref src, off);
            var d1 = Vector128.LoadUnsafe(ref src, off + 16);
            var d2 = Vector128.LoadUnsafe(ref src, off + 32);
            var d3 = Vector128.LoadUnsafe(ref src, off + 48);
            Sse2.Xor(d0, k0).StoreUnsafe(ref dst, off);
            Sse2.Xor(d1, k1).StoreUnsafe(ref dst, off + 16);
            Sse2.Xor(d2, k2).StoreUnsafe(ref dst, off + 32);
            Sse2.Xor(d3, k3).StoreUnsafe(ref dst, off + 48);
        }

        for (; off + Block <= length; off += Block, counter++)
        {
            var k = EncryptBlock(WithCounter(j0, counter));
            Sse2.Xor(Vector128.LoadUnsafe(ref src, off), k).StoreUnsafe(ref dst, off);
        }

        if (off < length)
        {
            // Partial last block: the leftmost octets of the keystream block (SP 800-38D §6.5 step 7).
            Span<byte> keystream = stackalloc byte[Block];
            EncryptBlock(WithCounter(j0, counter)).CopyTo(keystream);
            for (int i = 0; off < length; off++, i++)
            {
                Unsafe.Add(ref dst, off) = (byte)(Unsafe.Add(ref src, off) ^ keystream[i]);
            }
        }
    }

    /// <summary>SP 800-38D §7.1 steps 5-6: T = E(K, J0) xor GHASH(A || 0* || C || 0* || [len(A)]64 || [len(C)]64).</summary>
    private void ComputeTag(Vector128<byte> j0, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, Span<byte> tag)
    {
        var y = Vector128<ulong>.Zero;
        y = Ghash(y, aad);
        y = Ghash(y, ciphertext);
        var lengths = Vector128.Create(
            BinaryPrimitives.ReverseEndianness((ulong)aad.Length * 8),
            BinaryPrimitives.ReverseEndianness((ulong)ciphertext.Length * 8)).AsByte();
        y = Multiply(Sse2.Xor(y, Reverse(lengths).AsUInt64()), _h1);
        Sse2.Xor(EncryptBlock(j0), Reverse(y.AsByte())).CopyTo(tag);
    }

    /// <summary>Absorbs <paramref name="data"/>, zero-padded to whole blocks (SP 800-38D §6.4), into Y.</summary>
    private Vector128<ulong> Ghash(Vector128<ulong> y, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint off = 0;
        if (_wide)
        {
            for (; off + (8 * Block) <= length; off += 8 * Block)
            {
                // Eight blocks, two to a 256-bit vector: (Y ^ X1)·H^8 ^ X2·H^7 ^ ... ^ X8·H, one reduction.
                var x12 = Avx2.Xor(Reverse(Vector256.LoadUnsafe(ref p, off)).AsUInt64(), Vector256.Create(y, Vector128<ulong>.Zero));
                var x34 = Reverse(Vector256.LoadUnsafe(ref p, off + 32)).AsUInt64();
                var x56 = Reverse(Vector256.LoadUnsafe(ref p, off + 64)).AsUInt64();
                var x78 = Reverse(Vector256.LoadUnsafe(ref p, off + 96)).AsUInt64();
                MultiplyUnreduced(x12, _h87, out var lo, out var hi);
                MultiplyUnreduced(x34, _h65, out var lo2, out var hi2);
                MultiplyUnreduced(x56, _h43, out var lo3, out var hi3);
                MultiplyUnreduced(x78, _h21, out var lo4, out var hi4);
                lo = Avx2.Xor(Avx2.Xor(lo, lo2), Avx2.Xor(lo3, lo4));
                hi = Avx2.Xor(Avx2.Xor(hi, hi2), Avx2.Xor(hi3, hi4));
                y = Reduce(Sse2.Xor(lo.GetLower(), lo.GetUpper()), Sse2.Xor(hi.GetLower(), hi.GetUpper()));
            }
        }

        for (; off + (4 * Block) <= length; off += 4 * Block)
        {
            // (((Y ^ X1)·H ^ X2)·H ^ X3)·H ^ X4)·H = (Y ^ X1)·H^4 ^ X2·H^3 ^ X3·H^2 ^ X4·H
            var x1 = Sse2.Xor(y, Reverse(Vector128.LoadUnsafe(ref p, off)).AsUInt64());
            var x2 = Reverse(Vector128.LoadUnsafe(ref p, off + 16)).AsUInt64();
            var x3 = Reverse(Vector128.LoadUnsafe(ref p, off + 32)).AsUInt64();
            var x4 = Reverse(Vector128.LoadUnsafe(ref p, off + 48)).AsUInt64();
            MultiplyUnreduced(x1, _h4, out var lo, out var hi);
            MultiplyUnreduced(x2, _h3, out var lo2, out var hi2);
            MultiplyUnreduced(x3, _h2, out var lo3, out var hi3);
            MultiplyUnreduced(x4, _h1, out var lo4, out var hi4);
            lo = Sse2.Xor(Sse2.Xor(lo, lo2), Sse2.Xor(lo3, lo4));
            hi = Sse2.Xor(Sse2.Xor(hi, hi2), Sse2.Xor(hi3, hi4));
            y = Reduce(lo, hi);
        }

        for (; off + Block <= length; off += Block)
        {
            y = Multiply(Sse2.Xor(y, Reverse(Vector128.LoadUnsafe(ref p, off)).AsUInt64()), _h1);
        }

        if (off < length)
        {
            Span<byte> last = stackalloc byte[Block];
            last.Clear();
            data[(int)off..].CopyTo(last);
            y = Multiply(Sse2.Xor(y, Reverse(Vector128.Create((ReadOnlySpan<byte>)last)).AsUInt64()), _h1);
        }

        return y;
    }

    private static readonly Vector128<byte> ReverseMask = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Reverse(Vector128<byte> v) => Ssse3.Shuffle(v, ReverseMask);

    private static readonly Vector256<byte> ReverseMask256 = Vector256.Create(ReverseMask, ReverseMask);

    /// <summary>Reverses the octets of each 128-bit lane (VPSHUFB shuffles within lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Reverse(Vector256<byte> v) => Avx2.Shuffle(v, ReverseMask256);

    /// <summary><see cref="MultiplyUnreduced(Vector128{ulong}, Vector128{ulong}, out Vector128{ulong}, out Vector128{ulong})"/>
    /// in each 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyUnreduced(Vector256<ulong> a, Vector256<ulong> b, out Vector256<ulong> lo, out Vector256<ulong> hi)
    {
        var p00 = Pclmulqdq.V256.CarrylessMultiply(a, b, 0x00);
        var p11 = Pclmulqdq.V256.CarrylessMultiply(a, b, 0x11);
        var mid = Avx2.Xor(Pclmulqdq.V256.CarrylessMultiply(a, b, 0x01), Pclmulqdq.V256.CarrylessMultiply(a, b, 0x10));
        lo = Avx2.Xor(p00, Avx2.ShiftLeftLogical128BitLane(mid, 8));
        hi = Avx2.Xor(p11, Avx2.ShiftRightLogical128BitLane(mid, 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Multiply(Vector128<ulong> a, Vector128<ulong> b)
    {
        MultiplyUnreduced(a, b, out var lo, out var hi);
        return Reduce(lo, hi);
    }

    /// <summary>256-bit carry-less product hi:lo of two 128-bit operands (schoolbook, four 64×64 products).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyUnreduced(Vector128<ulong> a, Vector128<ulong> b, out Vector128<ulong> lo, out Vector128<ulong> hi)
    {
        var p00 = Pclmulqdq.CarrylessMultiply(a, b, 0x00);
        var p11 = Pclmulqdq.CarrylessMultiply(a, b, 0x11);
        var mid = Sse2.Xor(Pclmulqdq.CarrylessMultiply(a, b, 0x01), Pclmulqdq.CarrylessMultiply(a, b, 0x10));
        lo = Sse2.Xor(p00, Sse2.ShiftLeftLogical128BitLane(mid, 8));
        hi = Sse2.Xor(p11, Sse2.ShiftRightLogical128BitLane(mid, 8));
    }

    /// <summary>
    /// Shifts the 256-bit product of two bit-reflected operands left by one (the reflection costs one bit) and
    /// reduces it modulo x^128 + x^7 + x^2 + x + 1, folding the low half in two steps with shifts by 31, 30, 25 and
    /// by 1, 2, 7 (the polynomial's terms x^127·x^{-1}, x^{-2}, x^{-7} in reflected order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Reduce(Vector128<ulong> lo64, Vector128<ulong> hi64)
    {
        var lo = lo64.AsUInt32();
        var hi = hi64.AsUInt32();

        // hi:lo <<= 1 across the 32-bit lanes and the two halves.
        var loCarry = Sse2.ShiftRightLogical(lo, 31);
        var hiCarry = Sse2.ShiftRightLogical(hi, 31);
        lo = Sse2.ShiftLeftLogical(lo, 1);
        hi = Sse2.ShiftLeftLogical(hi, 1);
        var crossCarry = Sse2.ShiftRightLogical128BitLane(loCarry, 12);
        hiCarry = Sse2.ShiftLeftLogical128BitLane(hiCarry, 4);
        loCarry = Sse2.ShiftLeftLogical128BitLane(loCarry, 4);
        lo = Sse2.Or(lo, loCarry);
        hi = Sse2.Or(Sse2.Or(hi, hiCarry), crossCarry);

        // First folding step.
        var a = Sse2.Xor(Sse2.Xor(Sse2.ShiftLeftLogical(lo, 31), Sse2.ShiftLeftLogical(lo, 30)), Sse2.ShiftLeftLogical(lo, 25));
        var spill = Sse2.ShiftRightLogical128BitLane(a, 4);
        lo = Sse2.Xor(lo, Sse2.ShiftLeftLogical128BitLane(a, 12));

        // Second folding step.
        var b = Sse2.Xor(Sse2.Xor(Sse2.ShiftRightLogical(lo, 1), Sse2.ShiftRightLogical(lo, 2)), Sse2.ShiftRightLogical(lo, 7));
        b = Sse2.Xor(b, spill);
        lo = Sse2.Xor(lo, b);
        return Sse2.Xor(hi, lo).AsUInt64();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> EncryptBlock(Vector128<byte> block)
    {
        ReadOnlySpan<Vector128<byte>> k = _keys;
        int rounds = _rounds;
        block = Sse2.Xor(block, k[0]);
        for (int r = 1; r < rounds; r++)
        {
            block = X86Aes.Encrypt(block, k[r]);
        }

        return X86Aes.EncryptLast(block, k[rounds]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Encrypt8(
        Vector128<byte> b0, Vector128<byte> b1, Vector128<byte> b2, Vector128<byte> b3,
        Vector128<byte> b4, Vector128<byte> b5, Vector128<byte> b6, Vector128<byte> b7,
        out Vector128<byte> o0, out Vector128<byte> o1, out Vector128<byte> o2, out Vector128<byte> o3,
        out Vector128<byte> o4, out Vector128<byte> o5, out Vector128<byte> o6, out Vector128<byte> o7)
    {
        ReadOnlySpan<Vector128<byte>> k = _keys;
        int rounds = _rounds;
        var k0 = k[0];
        o0 = Sse2.Xor(b0, k0);
        o1 = Sse2.Xor(b1, k0);
        o2 = Sse2.Xor(b2, k0);
        o3 = Sse2.Xor(b3, k0);
        o4 = Sse2.Xor(b4, k0);
        o5 = Sse2.Xor(b5, k0);
        o6 = Sse2.Xor(b6, k0);
        o7 = Sse2.Xor(b7, k0);
        for (int r = 1; r < rounds; r++)
        {
            var kr = k[r];
            o0 = X86Aes.Encrypt(o0, kr);
            o1 = X86Aes.Encrypt(o1, kr);
            o2 = X86Aes.Encrypt(o2, kr);
            o3 = X86Aes.Encrypt(o3, kr);
            o4 = X86Aes.Encrypt(o4, kr);
            o5 = X86Aes.Encrypt(o5, kr);
            o6 = X86Aes.Encrypt(o6, kr);
            o7 = X86Aes.Encrypt(o7, kr);
        }

        var last = k[rounds];
        o0 = X86Aes.EncryptLast(o0, last);
        o1 = X86Aes.EncryptLast(o1, last);
        o2 = X86Aes.EncryptLast(o2, last);
        o3 = X86Aes.EncryptLast(o3, last);
        o4 = X86Aes.EncryptLast(o4, last);
        o5 = X86Aes.EncryptLast(o5, last);
        o6 = X86Aes.EncryptLast(o6, last);
        o7 = X86Aes.EncryptLast(o7, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Encrypt4(
        Vector128<byte> b0, Vector128<byte> b1, Vector128<byte> b2, Vector128<byte> b3,
        out Vector128<byte> o0, out Vector128<byte> o1, out Vector128<byte> o2, out Vector128<byte> o3)
    {
        ReadOnlySpan<Vector128<byte>> k = _keys;
        int rounds = _rounds;
        var k0 = k[0];
        o0 = Sse2.Xor(b0, k0);
        o1 = Sse2.Xor(b1, k0);
        o2 = Sse2.Xor(b2, k0);
        o3 = Sse2.Xor(b3, k0);
        for (int r = 1; r < rounds; r++)
        {
            var kr = k[r];
            o0 = X86Aes.Encrypt(o0, kr);
            o1 = X86Aes.Encrypt(o1, kr);
            o2 = X86Aes.Encrypt(o2, kr);
            o3 = X86Aes.Encrypt(o3, kr);
        }

        var last = k[rounds];
        o0 = X86Aes.EncryptLast(o0, last);
        o1 = X86Aes.EncryptLast(o1, last);
        o2 = X86Aes.EncryptLast(o2, last);
        o3 = X86Aes.EncryptLast(o3, last);
    }
}
