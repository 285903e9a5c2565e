using System.Runtime.InteropServices;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>kill(2) and geteuid(2), for stopping daemons the way an operator does and for root checks.</summary>
public static partial class NativeSignals
{
    public const int SigHup = 1;
    public const int SigInt = 2;
    public const int SigTerm = 15;

    public static bool IsRoot => OperatingSystem.IsLinux() && GetEffectiveUserId() == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
