using Hipnat.Core.Transport;
using Hipnat.Wire;

namespace Hipnat.Runtime.Names;

/// <summary>One line of a names file: a name, its HIT and the locators to reach it at (may be none).</summary>
public sealed record NamesFileEntry(string Name, Hit Hit, IReadOnlyList<TransportAddress> Locators, int Line);
