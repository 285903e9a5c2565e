using System.Security.Cryptography;

namespace Hipnat.Crypto;

/// <summary>
/// Encryption of the ENCRYPTED parameter's contents (RFC 7401 §5.2.18) with a HIP_CIPHER suite (§5.2.8).
/// The plaintext is one or more padded HIP parameters; AES-CBC adds PKCS#5/#7 padding (1..16 octets of value n,
/// §5.2.18) that is not counted in any TLV length and is removed on decryption. The IV travels in the parameter.
/// </summary>
public static class HipCipher
{
    private const int AesBlockSize = 16;

    public static bool IsSupported(HipCipherId cipher) =>
        cipher is HipCipherId.NullEncrypt or HipCipherId.Aes128Cbc or HipCipherId.Aes256Cbc;

    /// <summary>The "natural" key size drawn from KEYMAT (RFC 7401 §6.5): AES 128 or 256 bits, NULL 0 bits.</summary>
    public static int KeyLength(HipCipherId cipher) => cipher switch
    {
        HipCipherId.NullEncrypt => 0,
        HipCipherId.Aes128Cbc => 16,
        HipCipherId.Aes256Cbc => 32,
        _ => throw Unsupported(cipher),
    };

    /// <summary>Length of the IV field of ENCRYPTED: the AES block size, nonexistent for NULL (RFC 7401 §5.2.18).</summary>
    public static int IvLength(HipCipherId cipher) => cipher switch
    {
        HipCipherId.NullEncrypt => 0,
        HipCipherId.Aes128Cbc or HipCipherId.Aes256Cbc => AesBlockSize,
        _ => throw Unsupported(cipher),
    };

    /// <summary>Length of the Encrypted data for a plaintext of the given length.</summary>
    public static int CiphertextLength(HipCipherId cipher, int plaintextLength) => cipher switch
    {
        HipCipherId.NullEncrypt => plaintextLength,
        HipCipherId.Aes128Cbc or HipCipherId.Aes256Cbc => ((plaintextLength / AesBlockSize) + 1) * AesBlockSize,
        _ => throw Unsupported(cipher),
    };

    /// <summary>Fills <paramref name="iv"/> with a fresh random IV of <see cref="IvLength"/> octets.</summary>
    public static void GenerateIv(Span<byte> iv) => RandomNumberGenerator.Fill(iv);

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into <paramref name="destination"/>. Returns false (no exception) for
    /// an unsupported cipher, wrong key or IV length, or a destination shorter than <see cref="CiphertextLength"/>.
    /// </summary>
    public static bool TryEncrypt(
        HipCipherId cipher,
        ReadOnlySpan<byte> key,
        ReadOnlySpan<byte> iv,
        ReadOnlySpan<byte> plaintext,
        Span<byte> destination,
        out int bytesWritten)
    {
        bytesWritten = 0;
        if (!IsSupported(cipher) || key.Length != KeyLength(cipher) || iv.Length != IvLength(cipher)
            || destination.Length < CiphertextLength(cipher, plaintext.Length))
        {
            return false;
        }

        if (cipher == HipCipherId.NullEncrypt)
        {
            plaintext.CopyTo(destination);
            bytesWritten = plaintext.Length;
            return true;
        }

        try
        {
            using Aes aes = Aes.Create();
            aes.SetKey(key);

            // RFC 7401 §5.2.18: AES uses the PKCS5 padding scheme (RFC 2898 §6.1.1).
            return aes.TryEncryptCbc(plaintext, iv, destination, out bytesWritten, PaddingMode.PKCS7);
        }
        catch (CryptographicException)
        {
            bytesWritten = 0;
            return false;
        }
    }

    /// <summary>
    /// Decrypts the Encrypted data of ENCRYPTED and removes the cipher padding. Returns false (no exception) for
    /// an unsupported cipher, wrong key or IV length, a ciphertext that is not a whole number of blocks, bad
    /// padding, or a destination that is too short (it needs at most the ciphertext length).
    /// </summary>
    public static bool TryDecrypt(
        HipCipherId cipher,
        ReadOnlySpan<byte> key,
        ReadOnlySpan<byte> iv,
        ReadOnlySpan<byte> ciphertext,
        Span<byte> destination,
        out int bytesWritten)
    {
        bytesWritten = 0;
        if (!IsSupported(cipher) || key.Length != KeyLength(cipher) || iv.Length != IvLength(cipher))
        {
            return false;
        }

        if (cipher == HipCipherId.NullEncrypt)
        {
            if (destination.Length < ciphertext.Length)
            {
                return false;
            }

            ciphertext.CopyTo(destination);
            bytesWritten = ciphertext.Length;
            return true;
        }

        if (ciphertext.Length == 0 || ciphertext.Length % AesBlockSize != 0)
        {
            return false;
        }

        try
        {
            using Aes aes = Aes.Create();
            aes.SetKey(key);
            return aes.TryDecryptCbc(ciphertext, iv, destination, out bytesWritten, PaddingMode.PKCS7);
        }
        catch (CryptographicException)
        {
            // Bad padding.
            bytesWritten = 0;
            return false;
        }
    }

    private static ArgumentOutOfRangeException Unsupported(HipCipherId cipher) =>
        new(nameof(cipher), cipher, "not a supported HIP_CIPHER suite (1 = NULL, 2 = AES-128-CBC, 4 = AES-256-CBC)");
}
