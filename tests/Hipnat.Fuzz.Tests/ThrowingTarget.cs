namespace Hipnat.Fuzz.Tests;

/// <summary>A harness with a planted bug: any input holding 0x42 throws.</summary>
internal sealed class ThrowingTarget : IFuzzTarget
{
    public string Name => "throwing";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Contains((byte)0x42))
        {
            throw new InvalidOperationException("0x42 seen");
        }
    }

    public IEnumerable<(string Name, byte[] Data)> CreateSeeds() => [("seed", [0x40, 0x41, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48])];
}
