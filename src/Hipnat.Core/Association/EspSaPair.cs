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

    /// <summary>Times this pair was rekeyed by UPDATE (ESP_INFO with Old SPI = current SPI).</summary>
    public int Generation { get; internal set; }
}
