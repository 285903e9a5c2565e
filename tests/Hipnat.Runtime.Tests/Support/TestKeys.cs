using Hipnat.Crypto;

namespace Hipnat.Runtime.Tests.Support;

/// <summary>Writes a fresh host identity key file and returns its HIT.</summary>
public static class TestKeys
{
    public static string Create(string path, HostIdentityKind kind = HostIdentityKind.EcdsaP256)
    {
        using var identity = HostIdentity.Generate(kind);
        HostIdentityFile.Write(path, identity, force: false);
        return identity.Hit.ToString();
    }
}
