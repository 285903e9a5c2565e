namespace Hipnat.Core.Ice;

/// <summary>One connectivity check in flight: its pair, the nonce (ECHO_REQUEST_SIGNED) or STUN transaction ID the
/// answer must echo, and whether it nominates.</summary>
internal sealed record IceTransaction(CandidatePair Pair, byte[] Nonce, bool Nominate);
