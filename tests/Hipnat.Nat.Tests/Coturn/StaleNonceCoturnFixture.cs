namespace Hipnat.Nat.Tests.Coturn;

/// <summary>coturn whose nonces go stale after 2 seconds (`--stale-nonce=2`), to provoke 438 responses.</summary>
public sealed class StaleNonceCoturnFixture() : CoturnFixture(["--stale-nonce=2"]);
