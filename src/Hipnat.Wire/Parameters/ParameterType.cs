namespace Hipnat.Wire.Parameters;

/// <summary>
/// HIP parameter type numbers. Odd = critical (RFC 7401 §5.2.1). Sources: RFC 7401 §5.2, RFC 7402 §5.1,
/// RFC 8046 §4, RFC 8003 §4, RFC 8004 §4.2, RFC 6253 §2, RFC 9028 §5 and §8, RFC 5770 §5 and §7 (each checked
/// against the RFC's format section and IANA section).
/// </summary>
public static class ParameterType
{
    public const ushort EspInfo = 65;               // RFC 7402 §5.1.1
    public const ushort R1Counter = 129;            // RFC 7401 §5.2.3
    public const ushort LocatorSet = 193;           // RFC 8046 §4
    public const ushort Puzzle = 257;               // RFC 7401 §5.2.4
    public const ushort Solution = 321;             // RFC 7401 §5.2.5
    public const ushort Seq = 385;                  // RFC 7401 §5.2.16
    public const ushort Ack = 449;                  // RFC 7401 §5.2.17
    public const ushort DhGroupList = 511;          // RFC 7401 §5.2.6
    public const ushort DiffieHellman = 513;        // RFC 7401 §5.2.7
    public const ushort HipCipher = 579;            // RFC 7401 §5.2.8
    public const ushort NatTraversalMode = 608;     // RFC 9028 §5.4, RFC 5770 §5.4
    public const ushort TransactionPacing = 610;    // RFC 9028 §5.5, RFC 5770 §5.5
    public const ushort Encrypted = 641;            // RFC 7401 §5.2.18
    public const ushort HostId = 705;               // RFC 7401 §5.2.9
    public const ushort HitSuiteList = 715;         // RFC 7401 §5.2.10
    public const ushort Cert = 768;                 // RFC 7401 §5.2, RFC 6253 §2
    public const ushort Notification = 832;         // RFC 7401 §5.2.19
    public const ushort EchoRequestSigned = 897;    // RFC 7401 §5.2.20
    public const ushort RegInfo = 930;              // RFC 8003 §4.2
    public const ushort RegRequest = 932;           // RFC 8003 §4.3
    public const ushort RegResponse = 934;          // RFC 8003 §4.4
    public const ushort RegFailed = 936;            // RFC 8003 §4.5
    public const ushort RegFrom = 950;              // RFC 9028 §5.6, RFC 5770 §5.6
    public const ushort EchoResponseSigned = 961;   // RFC 7401 §5.2.22
    public const ushort TransportFormatList = 2049; // RFC 7401 §5.2.11
    public const ushort EspTransform = 4095;        // RFC 7402 §5.1.2
    public const ushort RelayedAddress = 4650;      // RFC 9028 §5.12
    public const ushort MappedAddress = 4660;       // RFC 9028 §5.12
    public const ushort PeerPermission = 4680;      // RFC 9028 §5.13
    public const ushort CandidatePriority = 4700;   // RFC 9028 §5.14
    public const ushort Nominate = 4710;            // RFC 9028 §5.15
    public const ushort HipMac = 61505;             // RFC 7401 §5.2.12
    public const ushort HipMac2 = 61569;            // RFC 7401 §5.2.13
    public const ushort HipSignature2 = 61633;      // RFC 7401 §5.2.15
    public const ushort HipSignature = 61697;       // RFC 7401 §5.2.14
    public const ushort EchoResponseUnsigned = 63425; // RFC 7401 §5.2.23
    public const ushort EchoRequestUnsigned = 63661;  // RFC 7401 §5.2.21
    public const ushort RelayFrom = 63998;          // RFC 9028 §5.6, RFC 5770 §5.6
    public const ushort RelayTo = 64002;            // RFC 9028 §5.6
    public const ushort From = 65498;               // RFC 8004 §4.2.2
    public const ushort RvsHmac = 65500;            // RFC 8004 §4.2.1
    public const ushort ViaRvs = 65502;             // RFC 8004 §4.2.3
    public const ushort RelayHmac = 65520;          // RFC 9028 §5.8, RFC 5770 §5.8

    /// <summary>Parameters this implementation understands (used to reject unknown critical ones).</summary>
    public static bool IsKnown(ushort type) => type switch
    {
        EspInfo or R1Counter or LocatorSet or Puzzle or Solution or Seq or Ack or DhGroupList or DiffieHellman
            or HipCipher or NatTraversalMode or TransactionPacing or Encrypted or HostId or HitSuiteList or Cert
            or Notification or EchoRequestSigned or RegInfo or RegRequest or RegResponse or RegFailed or RegFrom
            or EchoResponseSigned or TransportFormatList or EspTransform or RelayedAddress or MappedAddress
            or PeerPermission or CandidatePriority or Nominate or HipMac or HipMac2 or HipSignature2 or HipSignature
            or EchoResponseUnsigned or EchoRequestUnsigned or RelayFrom or RelayTo or From or RvsHmac or ViaRvs
            or RelayHmac => true,
        _ => false,
    };

    public static string Name(ushort type) => type switch
    {
        EspInfo => "ESP_INFO", R1Counter => "R1_COUNTER", LocatorSet => "LOCATOR_SET", Puzzle => "PUZZLE",
        Solution => "SOLUTION", Seq => "SEQ", Ack => "ACK", DhGroupList => "DH_GROUP_LIST",
        DiffieHellman => "DIFFIE_HELLMAN", HipCipher => "HIP_CIPHER", NatTraversalMode => "NAT_TRAVERSAL_MODE",
        TransactionPacing => "TRANSACTION_PACING", Encrypted => "ENCRYPTED", HostId => "HOST_ID",
        HitSuiteList => "HIT_SUITE_LIST", Cert => "CERT", Notification => "NOTIFICATION",
        EchoRequestSigned => "ECHO_REQUEST_SIGNED", RegInfo => "REG_INFO", RegRequest => "REG_REQUEST",
        RegResponse => "REG_RESPONSE", RegFailed => "REG_FAILED", RegFrom => "REG_FROM",
        EchoResponseSigned => "ECHO_RESPONSE_SIGNED", TransportFormatList => "TRANSPORT_FORMAT_LIST",
        EspTransform => "ESP_TRANSFORM", RelayedAddress => "RELAYED_ADDRESS", MappedAddress => "MAPPED_ADDRESS",
        PeerPermission => "PEER_PERMISSION", CandidatePriority => "CANDIDATE_PRIORITY", Nominate => "NOMINATE",
        HipMac => "HIP_MAC", HipMac2 => "HIP_MAC_2", HipSignature2 => "HIP_SIGNATURE_2",
        HipSignature => "HIP_SIGNATURE", EchoResponseUnsigned => "ECHO_RESPONSE_UNSIGNED",
        EchoRequestUnsigned => "ECHO_REQUEST_UNSIGNED", RelayFrom => "RELAY_FROM", RelayTo => "RELAY_TO",
        From => "FROM", RvsHmac => "RVS_HMAC", ViaRvs => "VIA_RVS", RelayHmac => "RELAY_HMAC",
        _ => $"type {type}",
    };
}
