using System.Security.Cryptography;

namespace Hipnat.Core.Host;

/// <summary>
/// The core's source of nonces, SPIs and puzzle values. Cryptographic by default; seeded for the simulator so
/// that runs are reproducible (key generation and signatures still use the platform's CSPRNG).
/// </summary>
internal sealed class HipRandom
{
    private readonly Random? _seeded;

    public HipRandom(int? seed)
    {
        if (seed is int s)
        {
            _seeded = new Random(s);
        }
    }

    public void Fill(Span<byte> destination)
    {
        if (_seeded is null)
        {
            RandomNumberGenerator.Fill(destination);
        }
        else
        {
            _seeded.NextBytes(destination);
        }
    }

    public uint NextUInt32()
    {
        Span<byte> b = stackalloc byte[4];
        Fill(b);
        return BitConverter.ToUInt32(b);
    }

    /// <summary>An SPI outside the IANA-reserved range 0-255 (RFC 4303 §2.1).</summary>
    public uint NextSpi()
    {
        uint v;
        do
        {
            v = NextUInt32();
        }
        while (v < 256);
        return v;
    }

    public byte[] NextBytes(int n)
    {
        var b = new byte[n];
        Fill(b);
        return b;
    }
}
