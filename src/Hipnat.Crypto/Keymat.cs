using System.Security.Cryptography;
using Hipnat.Wire;

namespace Hipnat.Crypto;

/// <summary>
/// The HIP keying material of one association (RFC 7401 §6.5): HKDF (RFC 5869) with RHASH,
/// <c>PRK = HKDF-Extract(salt = #I | #J, IKM = Kij)</c> and <c>KEYMAT = HKDF-Expand(PRK, info = sort(HIT-I | HIT-R), L)</c>,
/// i.e. <c>T(n) = HMAC-RHASH(PRK, T(n-1) | info | n)</c>. Keys are handed out sequentially by <see cref="Draw(Span{byte})"/>;
/// <see cref="Index"/> is the KEYMAT index of ESP_INFO (RFC 7402 §5.1.1). Not thread-safe.
/// </summary>
public sealed class Keymat : IDisposable
{
    private const int InfoLength = 2 * Hit.Length;

    private readonly byte[] _prk;
    private readonly byte[] _info = new byte[InfoLength];
    private readonly int _hashLength;
    private byte[] _okm;
    private int _generated;
    private int _index;

    /// <summary>
    /// Sets up KEYMAT from the DH session key <paramref name="kij"/>, the two HITs (in any role order; they are
    /// sorted) and the puzzle values #I and #J of the base exchange. <paramref name="suite"/> is the HIT suite of
    /// the Responder's HIT (RHASH).
    /// </summary>
    public Keymat(HitSuite suite, ReadOnlySpan<byte> kij, Hit hitI, Hit hitR, ReadOnlySpan<byte> i, ReadOnlySpan<byte> j)
    {
        if (!suite.IsDefined())
        {
            throw new ArgumentOutOfRangeException(nameof(suite), suite, "not a HIT suite defined by RFC 7401");
        }

        Suite = suite;
        _hashLength = suite.RhashLength();

        // RFC 7401 §5.2.4, §5.2.5: #I and #J are RHASH_len / 8 octets each.
        if (i.Length != _hashLength || j.Length != _hashLength)
        {
            throw new ArgumentException($"#I and #J must be {_hashLength} octets for {suite}");
        }

        MaxLength = 255 * _hashLength; // RFC 5869 §2.3: L <= 255 * HashLen

        // RFC 7401 §6.5: info = sort(HIT-I | HIT-R), the smaller HIT (as an unsigned 128-bit integer) first.
        Hit low = hitI < hitR ? hitI : hitR;
        Hit high = hitI < hitR ? hitR : hitI;
        low.WriteTo(_info);
        high.WriteTo(_info.AsSpan(Hit.Length));

        // RFC 7401 §6.5: salt = #I | #J. RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM).
        Span<byte> salt = stackalloc byte[i.Length + j.Length];
        i.CopyTo(salt);
        j.CopyTo(salt[i.Length..]);
        _prk = new byte[_hashLength];
        suite.Hmac(salt, kij, _prk);

        _okm = new byte[8 * _hashLength];
    }

    /// <summary>The HIT suite whose RHASH drives the KDF.</summary>
    public HitSuite Suite { get; }

    /// <summary>Largest amount of keying material HKDF can produce with this hash (255 blocks).</summary>
    public int MaxLength { get; }

    /// <summary>Offset in octets of the next key to be drawn. Settable to continue at an ESP_INFO KEYMAT Index.</summary>
    public int Index
    {
        get => _index;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxLength);
            _index = value;
        }
    }

    /// <summary>Fills <paramref name="destination"/> with the next octets of KEYMAT and advances <see cref="Index"/>.</summary>
    public void Draw(Span<byte> destination)
    {
        int end = _index + destination.Length;
        if (end > MaxLength)
        {
            throw new InvalidOperationException($"KEYMAT exhausted: {end} octets requested, HKDF gives at most {MaxLength}");
        }

        EnsureGenerated(end);
        _okm.AsSpan(_index, destination.Length).CopyTo(destination);
        _index = end;
    }

    /// <summary>Draws the next <paramref name="length"/> octets into a new array.</summary>
    public byte[] Draw(int length)
    {
        var key = new byte[length];
        Draw(key);
        return key;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_prk);
        CryptographicOperations.ZeroMemory(_okm);
    }

    private void EnsureGenerated(int length)
    {
        if (length <= _generated)
        {
            return;
        }

        int blocks = (length + _hashLength - 1) / _hashLength;
        if (blocks * _hashLength > _okm.Length)
        {
            var bigger = new byte[Math.Min(Math.Max(_okm.Length * 2, blocks * _hashLength), 255 * _hashLength)];
            _okm.AsSpan(0, _generated).CopyTo(bigger);
            CryptographicOperations.ZeroMemory(_okm);
            _okm = bigger;
        }

        // RFC 5869 §2.3: T(n) = HMAC-Hash(PRK, T(n-1) | info | n), T(0) empty, n one octet from 1.
        Span<byte> input = stackalloc byte[64 + InfoLength + 1];
        for (int n = (_generated / _hashLength) + 1; n <= blocks; n++)
        {
            int offset = 0;
            if (n > 1)
            {
                _okm.AsSpan((n - 2) * _hashLength, _hashLength).CopyTo(input);
                offset = _hashLength;
            }

            _info.CopyTo(input[offset..]);
            offset += InfoLength;
            input[offset++] = (byte)n;
            Suite.Hmac(_prk, input[..offset], _okm.AsSpan((n - 1) * _hashLength, _hashLength));
        }

        _generated = blocks * _hashLength;
        CryptographicOperations.ZeroMemory(input);
    }
}
