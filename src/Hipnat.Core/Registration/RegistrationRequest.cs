using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Registration;

/// <summary>What a host asks of a registrar (client side, RFC 8003 §3.2).</summary>
public sealed record RegistrationRequest(Hit Registrar, IReadOnlyList<RegistrationType> Types, TimeSpan Lifetime);
