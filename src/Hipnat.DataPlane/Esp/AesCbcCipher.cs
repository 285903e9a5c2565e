using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Hipnat.DataPlane.Esp;

/// <summary>
/// AES in CBC mode (RFC 3602) for one SA, keyed once. With AES-NI the block cipher runs on the CPU's AES
/// instructions and no call allocates; without it, it falls back to <see cref="System.Security.Cryptography.Aes"/>,
/// whose one-shot CBC calls allocate a small native context per call. Not thread-safe (the SA serialises calls).
/// </summary>
internal sealed class AesCbcCipher : IDisposable
{
    public const int BlockSize = 16;

    private AesRoundKeys _encryptKeys;
    private AesRoundKeys _decryptKeys;
    private readonly int _rounds;
    private readonly System.Security.Cryptography.Aes? _fallback;

    /// <param name="key">16- or 32-octet AES key.</param>
    /// <param name="useHardware">False forces the portable path (tests compare both).</param>
    public AesCbcCipher(ReadOnlySpan<byte> key, bool useHardware = true)
    {
        if (key.Length is not (16 or 32))
        {
            throw new ArgumentException("an AES-CBC key is 16 or 32 octets", nameof(key));
        }

        _rounds = key.Length == 16 ? 10 : 14;
        if (useHardware && IsHardwareAccelerated)
        {
            AesKeySchedule.Expand(key, ref _encryptKeys);
            AesKeySchedule.Invert(in _encryptKeys, ref _decryptKeys, _rounds);
        }
        else
        {
            _fallback = System.Security.Cryptography.Aes.Create();
            _fallback.Key = key.ToArray();
        }
    }

    public static bool IsHardwareAccelerated => X86Aes.IsSupported && Sse2.IsSupported;

    /// <summary>True when this instance uses AES-NI.</summary>
    public bool UsesHardware => _fallback is null;

    /// <summary>Encrypts one block (used to derive per-packet IVs).</summary>
    public void EncryptBlock(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (_fallback is not null)
        {
            _fallback.EncryptEcb(input[..BlockSize], output[..BlockSize], PaddingMode.None);
            return;
        }

        var block = Vector128.Create(input[..BlockSize]);
        EncryptBlock(block).CopyTo(output);
    }

    /// <summary>CBC-encrypts <paramref name="data"/> in place; its length is a multiple of 16.</summary>
    public void EncryptInPlace(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        if (data.Length % BlockSize != 0)
        {
            throw new ArgumentException("CBC data must be whole blocks", nameof(data));
        }

        if (_fallback is not null)
        {
            _fallback.EncryptCbc(data, iv, data, PaddingMode.None);
            return;
        }

        // RFC 3602 §2: C[i] = E(K, P[i] xor C[i-1]), C[0] chained from the IV. Serial by nature.
        var chain = Vector128.Create(iv[..BlockSize]);
        ref byte p = ref MemoryMarshal.GetReference(data);
        for (nuint off = 0; off < (nuint)data.Length; off += BlockSize)
        {
            chain = EncryptBlock(Sse2.Xor(Vector128.LoadUnsafe(ref p, off), chain));
            chain.StoreUnsafe(ref p, off);
        }
    }

    /// <summary>
    /// CBC-decrypts <paramref name="source"/> into <paramref name="destination"/>. The spans may be the same memory
    /// (in-place) or disjoint.
    /// </summary>
    public void Decrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.Length % BlockSize != 0 || destination.Length < source.Length)
        {
            throw new ArgumentException("CBC data must be whole blocks and fit the destination", nameof(source));
        }

        if (_fallback is not null)
        {
            _fallback.DecryptCbc(source, iv, destination, PaddingMode.None);
            return;
        }

        // RFC 3602 §2: P[i] = D(K, C[i]) xor C[i-1]. Blocks are independent, so four are kept in flight; every
        // ciphertext block of a group is loaded before any plaintext is stored, which makes in-place safe.
        var prev = Vector128.Create(iv[..BlockSize]);
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        nuint length = (nuint)source.Length;
        nuint off = 0;
        for (; off + (4 * BlockSize) <= length; off += 4 * BlockSize)
        {
            var c0 = Vector128.LoadUnsafe(ref src, off);
            var c1 = Vector128.LoadUnsafe(ref src, off + 16);
            var c2 = Vector128.LoadUnsafe(ref src, off + 32);
            var c3 = Vector128.LoadUnsafe(ref src, off + 48);
            DecryptBlocks(c0, c1, c2, c3, out var p0, out var p1, out var p2, out var p3);
            Sse2.Xor(p0, prev).StoreUnsafe(ref dst, off);
            Sse2.Xor(p1, c0).StoreUnsafe(ref dst, off + 16);
            Sse2.Xor(p2, c1).StoreUnsafe(ref dst, off + 32);
            Sse2.Xor(p3, c2).StoreUnsafe(ref dst, off + 48);
            prev = c3;
        }

        for (; off < length; off += BlockSize)
        {
            var c = Vector128.LoadUnsafe(ref src, off);
            Sse2.Xor(DecryptBlock(c), prev).StoreUnsafe(ref dst, off);
            prev = c;
        }
    }

    public void Dispose()
    {
        _fallback?.Dispose();
        _encryptKeys = default;
        _decryptKeys = default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> EncryptBlock(Vector128<byte> block)
    {
        ReadOnlySpan<Vector128<byte>> k = _encryptKeys;
        int rounds = _rounds;
        block = Sse2.Xor(block, k[0]);
        for (int r = 1; r < rounds; r++)
        {
            block = X86Aes.Encrypt(block, k[r]);
        }

        return X86Aes.EncryptLast(block, k[rounds]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> DecryptBlock(Vector128<byte> block)
    {
        ReadOnlySpan<Vector128<byte>> k = _decryptKeys;
        int rounds = _rounds;
        block = Sse2.Xor(block, k[0]);
        for (int r = 1; r < rounds; r++)
        {
            block = X86Aes.Decrypt(block, k[r]);
        }

        return X86Aes.DecryptLast(block, k[rounds]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DecryptBlocks(
        Vector128<byte> c0, Vector128<byte> c1, Vector128<byte> c2, Vector128<byte> c3,
        out Vector128<byte> p0, out Vector128<byte> p1, out Vector128<byte> p2, out Vector128<byte> p3)
    {
        ReadOnlySpan<Vector128<byte>> k = _decryptKeys;
        int rounds = _rounds;
        var k0 = k[0];
        p0 = Sse2.Xor(c0, k0);
        p1 = Sse2.Xor(c1, k0);
        p2 = Sse2.Xor(c2, k0);
        p3 = Sse2.Xor(c3, k0);
        for (int r = 1; r < rounds; r++)
        {
            var kr = k[r];
            p0 = X86Aes.Decrypt(p0, kr);
            p1 = X86Aes.Decrypt(p1, kr);
            p2 = X86Aes.Decrypt(p2, kr);
            p3 = X86Aes.Decrypt(p3, kr);
        }

        var last = k[rounds];
        p0 = X86Aes.DecryptLast(p0, last);
        p1 = X86Aes.DecryptLast(p1, last);
        p2 = X86Aes.DecryptLast(p2, last);
        p3 = X86Aes.DecryptLast(p3, last);
    }
}
