namespace Hipnat.Lab.Tests;

/// <summary>
/// The hipnat lab tests run one after another (each in its own lab): every one starts three .NET daemons and tshark,
/// and on a two-core machine several at once would stretch timers the tests measure.
/// </summary>
[CollectionDefinition(nameof(HipLabCollection))]
public sealed class HipLabCollection
{
}
