namespace Hipnat.Lab;

/// <summary>Anchor type for the assembly.</summary>
public static class AssemblyMarker
{
}
