namespace Hipnat.Core.Association;

/// <summary>
/// One pair of ESP security associations (inbound SPI chosen by us, outbound SPI chosen by the peer) of a host
/// association, with the suite and the KEYMAT index their keys were drawn from (RFC 7402 §5.1.1). A host
/// association holds several: simultaneous multihoming uses one per interface (ESP_INFO Old SPI 0, RFC 8047),
/// fault tolerance uses one over every locator pair.
/// </summary>
public sealed class EspSaPair
{
    public EspSaPair(uint inboundSpi, uint outboundSpi, ushort suite, ushort keymatIndex)
    {
        InboundSpi = inboundSpi;
        OutboundSpi = outboundSpi;
        Suite = suite;
        KeymatIndex = keymatIndex;
    }

    public uint InboundSpi { get; internal set; }

    public uint OutboundSpi { get; internal set; }

    /// <summary>ESP_TRANSFORM suite id (RFC 7402 §5.1.2).</summary>
    public ushort Suite { get; internal set; }

    public ushort KeymatIndex { get; internal set; }

    /// <summary>Keys for traffic we send (outbound) and receive (inbound), drawn from KEYMAT (RFC 7402 §7).</summary>
    public byte[] OutboundEncryptionKey { get; internal set; } = [];

    public byte[] OutboundIntegrityKey { get; internal set; } = [];

    public byte[] InboundEncryptionKey { get; internal set; } = [];

    public byte[] InboundIntegrityKey { get; internal set; } = [];

    /// <summary>
    /// The locator pair this SA pair is bound to in simultaneous multihoming (RFC 8047 §4.2.4: the local address of
    /// one interface and the peer address verified from it); null for the association's primary pair, which follows
    /// the active locator pair.
    /// </summary>
    public Transport.TransportAddress? BoundLocal { get; internal set; }

    /// <summary>The peer's end of <see cref="BoundLocal"/>'s locator pair; null for the primary pair.</summary>
    public Transport.TransportAddress? BoundPeer { get; internal set; }

    /// <summary>True when the pair is bound to a locator pair of its own (a multihoming SA pair).</summary>
    public bool IsBound => BoundLocal is not null && BoundPeer is not null;

    /// <summary>Times this pair was rekeyed by UPDATE (ESP_INFO with Old SPI = current SPI).</summary>
    public int Generation { get; internal set; }
}
