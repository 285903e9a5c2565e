namespace Hipnat.Lab.Tests;

/// <summary>Tests that must not run while other lab tests start labs (and so run the janitor).</summary>
[CollectionDefinition(nameof(SerialLabCollection), DisableParallelization = true)]
public sealed class SerialLabCollection
{
}
