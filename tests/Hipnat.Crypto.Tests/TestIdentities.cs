namespace Hipnat.Crypto.Tests;

/// <summary>Identities shared by the tests (RSA generation is slow). Never disposed: they live as long as the test run.</summary>
internal static class TestIdentities
{
    private static readonly Lazy<HostIdentity> P256 = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP256));
    private static readonly Lazy<HostIdentity> P384 = new(() => HostIdentity.Generate(HostIdentityKind.EcdsaP384));
    private static readonly Lazy<HostIdentity> Rsa3072 = new(() => HostIdentity.Generate(HostIdentityKind.Rsa));

    public static HostIdentity Get(HostIdentityKind kind) => kind switch
    {
        HostIdentityKind.EcdsaP256 => P256.Value,
        HostIdentityKind.EcdsaP384 => P384.Value,
        HostIdentityKind.Rsa => Rsa3072.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}
