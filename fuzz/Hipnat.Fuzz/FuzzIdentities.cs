using Hipnat.Crypto;

namespace Hipnat.Fuzz;

/// <summary>Fixed host identities (ECDSA P-256), so that every run of a harness starts from the same HITs.</summary>
public static class FuzzIdentities
{
    private const string PemA = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9eddaAQU1pvjqm9C
        5kT4PkVQjFZljda2RNIDvugD1pahRANCAASc8ksHpQsMjfgtsKanlIBAFKAvXGeU
        hWoEoREZrqYpWzXN95SDb8A5lBD6dXoo5/h7s7TefoDmaSyS68V8S0EU
        -----END PRIVATE KEY-----
        """;

    private const string PemB = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBw+n+sDSOpAK9Gkj
        /A/8KbgxNzBkT/kp0/IOFYwdEn6hRANCAARGAJhD4sacH8M7N6P6fk59QQu3k7cp
        i289QV9uWOODNYzPYaouWDsGqt3J/GPonOxR7+043DC4AkTGwFm4FUiE
        -----END PRIVATE KEY-----
        """;

    private static readonly Lazy<HostIdentity> LazyA = new(() => HostIdentity.ImportPem(PemA));
    private static readonly Lazy<HostIdentity> LazyB = new(() => HostIdentity.ImportPem(PemB));

    /// <summary>The initiator's identity.</summary>
    public static HostIdentity A => LazyA.Value;

    /// <summary>The responder's identity (the host under test).</summary>
    public static HostIdentity B => LazyB.Value;
}
