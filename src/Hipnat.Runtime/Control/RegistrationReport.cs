namespace Hipnat.Runtime.Control;

/// <summary>One of our registrations with a relay (client side), as "status" reports it.</summary>
public sealed class RegistrationReport
{
    public string RegistrarHit { get; set; } = string.Empty;

    /// <summary>Where we reach the registrar (its configured address, or the association's peer address).</summary>
    public string? RegistrarAddress { get; set; }

    /// <summary>"rendezvous", "relay-hip" or "relay-esp".</summary>
    public string Service { get; set; } = string.Empty;

    /// <summary>"pending" (no answer yet: base exchange with the registrar under way or failed), "requested",
    /// "granted", "refused", "expired" or "cancelled".</summary>
    public string State { get; set; } = string.Empty;

    /// <summary>REG_FAILED failure type when refused, e.g. "additional-credentials-required" (not on the relay's allow-list).</summary>
    public string? Failure { get; set; }

    /// <summary>What went wrong last (refusal, failed base exchange with the registrar), with what to do.</summary>
    public string? LastError { get; set; }

    /// <summary>Lifetime the registrar granted, in seconds.</summary>
    public double? LifetimeSeconds { get; set; }

    /// <summary>Seconds until the registration runs out (the daemon renews it before).</summary>
    public double? ExpiresInSeconds { get; set; }

    /// <summary>Our address as the registrar sees it (REG_FROM): the server-reflexive address.</summary>
    public string? ReflexiveAddress { get; set; }

    /// <summary>RELAY_UDP_ESP: the relayed address the data relay opened for us (RELAYED_ADDRESS).</summary>
    public string? RelayedAddress { get; set; }
}
