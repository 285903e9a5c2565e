namespace Hipnat.Lab.Tests;

/// <summary>Lab tests need root; CI runs as root, so they only skip on a developer's unprivileged shell.</summary>
internal static class LabRequirement
{
    public static void Root() =>
        Assert.SkipUnless(
            Environment.IsPrivilegedProcess,
            "network-namespace lab tests need root (CAP_NET_ADMIN, CAP_SYS_ADMIN); run the tests as root as CI does");
}
