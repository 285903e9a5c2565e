namespace Hipnat.Wire.Parameters;

/// <summary>PUZZLE (RFC 7401 §5.2.4): difficulty #K, lifetime exponent, opaque index and random #I (RHASH_len/8 octets).</summary>
public readonly struct PuzzleParameter : IHipParameter<PuzzleParameter>
{
    public PuzzleParameter(byte k, byte lifetime, ushort opaque, ReadOnlyMemory<byte> randomI)
    {
        K = k;
        Lifetime = lifetime;
        Opaque = opaque;
        RandomI = randomI;
    }

    public static ushort Type => ParameterType.Puzzle;

    public byte K { get; }

    /// <summary>Lifetime is 2^(value - 32) seconds.</summary>
    public byte Lifetime { get; }

    public ushort Opaque { get; }

    public ReadOnlyMemory<byte> RandomI { get; }

    /// <summary>
    /// The lifetime, 2^(value - 32) seconds (RFC 7401 §5.2.4). The field is a full octet from the peer: exponents
    /// beyond what a <see cref="TimeSpan"/> holds (value 72 and up, 2^40 s and more) give <see cref="TimeSpan.MaxValue"/>.
    /// </summary>
    public TimeSpan LifetimeSpan
    {
        get
        {
            double seconds = Math.Pow(2, Lifetime - 32);
            return seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds);
        }
    }

    public int GetContentLength() => 4 + RandomI.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteByte(K);
        w.WriteByte(Lifetime);
        w.WriteUInt16(Opaque);
        w.WriteBytes(RandomI.Span);
    }

    public static PuzzleParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        byte k = r.ReadByte();
        byte lifetime = r.ReadByte();
        ushort opaque = r.ReadUInt16();
        var i = r.RemainingSpan;

        // #I is RHASH_len bits: 20 (SHA-1), 32 (SHA-256) or 48 (SHA-384) octets.
        if (i.Length is not (20 or 32 or 48))
        {
            throw new HipFormatException(WireError.InvalidParameter, $"PUZZLE #I of {i.Length} octets");
        }

        return new PuzzleParameter(k, lifetime, opaque, i.ToArray());
    }
}
