namespace Hipnat.Nat.Tests.Stun;

/// <summary>The test vectors of RFC 5769 §2, copied octet for octet from the RFC text.</summary>
internal static class Rfc5769Vectors
{
    public const string ShortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt";

    /// <summary>§2.1 Sample Request (padding: spaces).</summary>
    public static readonly byte[] SampleRequest = Convert.FromHexString(
        "000100582112a442b7e7a701bc34d686fa87dfae" +
        "802200105354554e20746573742063" + "6c69656e74" +
        "002400046e0001ff" +
        "80290008932ff9b151263b36" +
        "000600096576746a3a68367659202020" +
        "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2" +
        "80280004e57a3bcf");

    /// <summary>§2.2 Sample IPv4 Response: 192.0.2.1 port 32853.</summary>
    public static readonly byte[] Ipv4Response = Convert.FromHexString(
        "0101003c2112a442b7e7a701bc34d686fa87dfae" +
        "8022000b7465737420766563746f7220" +
        "002000080001a147e112a643" +
        "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7" +
        "80280004c07d4c96");

    /// <summary>§2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853.</summary>
    public static readonly byte[] Ipv6Response = Convert.FromHexString(
        "010100482112a442b7e7a701bc34d686fa87dfae" +
        "8022000b7465737420766563746f7220" +
        "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9" +
        "00080014a382954e4be67bf11784c97c8292c275bfe3ed41" +
        "80280004c8fb0b4c");

    /// <summary>§2.4 Sample Request with Long-Term Authentication (padding: NUL).</summary>
    public static readonly byte[] LongTermRequest = Convert.FromHexString(
        "000100602112a44278ad3433c6ad72c029da412e" +
        "00060012e3839ee38388e383aae38383e382afe382b90000" +
        "0015001c662f2f3439396b39353464364f4c33346f4c394653547679363473 41".Replace(" ", string.Empty, StringComparison.Ordinal) +
        "0014000b6578616d706c652e6f726700" +
        "00080014f67024656dd64a3e02b8e0712e85c9a28ca89666");

    public const string LongTermUsername = "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9";
    public const string LongTermPassword = "The\u00ADM\u00AAtr\u2168";
    public const string LongTermNonce = "f//499k954d6OL34oL9FSTvy64sA";
    public const string LongTermRealm = "example.org";

    public static byte[] Vector(string name) => name switch
    {
        "request" => SampleRequest,
        "ipv4" => Ipv4Response,
        "ipv6" => Ipv6Response,
        "long-term" => LongTermRequest,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
