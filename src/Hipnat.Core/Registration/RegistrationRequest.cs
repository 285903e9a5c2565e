using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Registration;

/// <summary>
/// What a host asks of a registrar (client side, RFC 8003 §3.2): <see cref="Types"/> always, and
/// <see cref="IfOffered"/> only when the registrar lists them in REG_INFO — a type it does not offer is left out of
/// REG_REQUEST without counting as refused (how a host takes the data relay wherever a relay has one).
/// </summary>
public sealed record RegistrationRequest(Hit Registrar, IReadOnlyList<RegistrationType> Types, TimeSpan Lifetime)
{
    public IReadOnlyList<RegistrationType> IfOffered { get; init; } = [];
}
