namespace Hipnat.Fuzz;

/// <summary>
/// One fuzz target: feeds untrusted octets to a hipnat input path. <see cref="Run"/> lets every exception that the
/// product lets escape propagate (a crash); it catches only the typed exceptions an API documents for bad input.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name used on the command line and as the corpus directory.</summary>
    string Name { get; }

    void Run(ReadOnlySpan<byte> input);

    /// <summary>Valid inputs built with hipnat's own code (written to fuzz/corpus/&lt;name&gt; by --write-seeds).</summary>
    IEnumerable<(string Name, byte[] Data)> CreateSeeds();
}
