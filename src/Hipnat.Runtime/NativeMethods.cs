using System.Runtime.InteropServices;

namespace Hipnat.Runtime;

/// <summary>The few libc calls the runtime needs (Linux).</summary>
internal static partial class NativeMethods
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();
}
