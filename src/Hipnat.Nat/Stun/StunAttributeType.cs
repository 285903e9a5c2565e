namespace Hipnat.Nat.Stun;

/// <summary>
/// STUN attribute types. 0x0000-0x7FFF are comprehension-required, 0x8000-0xFFFF comprehension-optional
/// (RFC 8489 §14, §18.3). Sources: RFC 8489 §18.3, RFC 8445 §16.1 (ICE), RFC 8656 §18 (TURN).
/// </summary>
public enum StunAttributeType : ushort
{
    // RFC 8489 §18.3.1
    MappedAddress = 0x0001,
    Username = 0x0006,
    MessageIntegrity = 0x0008,
    ErrorCode = 0x0009,
    UnknownAttributes = 0x000A,
    Realm = 0x0014,
    Nonce = 0x0015,
    XorMappedAddress = 0x0020,

    // RFC 8489 §18.3.2
    MessageIntegritySha256 = 0x001C,
    PasswordAlgorithm = 0x001D,
    UserHash = 0x001E,

    // RFC 8656 §18
    ChannelNumber = 0x000C,
    Lifetime = 0x000D,
    XorPeerAddress = 0x0012,
    Data = 0x0013,
    XorRelayedAddress = 0x0016,
    RequestedAddressFamily = 0x0017,
    EvenPort = 0x0018,
    RequestedTransport = 0x0019,
    DontFragment = 0x001A,
    ReservationToken = 0x0022,

    // RFC 8445 §16.1
    Priority = 0x0024,
    UseCandidate = 0x0025,

    // Comprehension-optional: RFC 8656 §18
    AdditionalAddressFamily = 0x8000,
    AddressErrorCode = 0x8001,

    // RFC 8489 §18.3.2
    PasswordAlgorithms = 0x8002,
    AlternateDomain = 0x8003,

    // RFC 8656 §18
    Icmp = 0x8004,

    // RFC 8489 §18.3.1
    Software = 0x8022,
    AlternateServer = 0x8023,
    Fingerprint = 0x8028,

    // RFC 8445 §16.1
    IceControlled = 0x8029,
    IceControlling = 0x802A,
}
