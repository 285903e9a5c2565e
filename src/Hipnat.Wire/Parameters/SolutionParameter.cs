namespace Hipnat.Wire.Parameters;

/// <summary>
/// SOLUTION (RFC 7401 §5.2.5): #K, reserved, the Opaque copied from PUZZLE, Random #I and solution #J,
/// each of RHASH_len/8 octets.
/// </summary>
public readonly struct SolutionParameter : IHipParameter<SolutionParameter>
{
    public SolutionParameter(byte k, ushort opaque, ReadOnlyMemory<byte> randomI, ReadOnlyMemory<byte> solutionJ)
    {
        if (randomI.Length != solutionJ.Length)
        {
            throw new ArgumentException("#I and #J are both RHASH_len/8 octets", nameof(solutionJ));
        }

        K = k;
        Opaque = opaque;
        RandomI = randomI;
        SolutionJ = solutionJ;
    }

    public static ushort Type => ParameterType.Solution;

    public byte K { get; }

    public ushort Opaque { get; }

    public ReadOnlyMemory<byte> RandomI { get; }

    public ReadOnlyMemory<byte> SolutionJ { get; }

    public int GetContentLength() => 4 + RandomI.Length + SolutionJ.Length;

    public void WriteContents(Span<byte> destination)
    {
        var w = new HipWriter(destination);
        w.WriteByte(K);
        w.WriteByte(0); // Reserved: zero when sent (§5.2.5)
        w.WriteUInt16(Opaque);
        w.WriteBytes(RandomI.Span);
        w.WriteBytes(SolutionJ.Span);
    }

    public static SolutionParameter Read(ReadOnlySpan<byte> contents)
    {
        var r = new HipReader(contents);
        byte k = r.ReadByte();
        r.Skip(1); // Reserved: ignored when received
        ushort opaque = r.ReadUInt16();

        // Length = 4 + RHASH_len / 4: #I and #J are each 20, 32 or 48 octets.
        int n = r.Remaining / 2;
        if (r.Remaining % 2 != 0 || n is not (20 or 32 or 48))
        {
            throw new HipFormatException(WireError.InvalidParameter, $"SOLUTION #I/#J of {r.Remaining} octets");
        }

        var i = r.ReadBytes(n).ToArray();
        var j = r.ReadBytes(n).ToArray();
        return new SolutionParameter(k, opaque, i, j);
    }
}
