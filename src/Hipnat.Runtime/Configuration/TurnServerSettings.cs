using Hipnat.Core.Transport;

namespace Hipnat.Runtime.Configuration;

/// <summary>A TURN server (RFC 8656) and its long-term credentials (config "turnServers"). Parsed and validated; used by the relayed-candidate gathering.</summary>
public sealed class TurnServerSettings(TransportAddress address, string username, string password)
{
    public TransportAddress Address { get; } = address;

    public string Username { get; } = username;

    public string Password { get; } = password;

    /// <summary>Never prints the password.</summary>
    public override string ToString() => $"{Username}@{Address}";
}
