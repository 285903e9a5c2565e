namespace Hipnat.DataPlane.Esp;

/// <summary>Why an inbound ESP packet was discarded. Every reason except <see cref="None"/> means "drop".</summary>
public enum EspDropReason
{
    None,

    /// <summary>Shorter than ESP header, IV, trailer and ICV together.</summary>
    Truncated,

    /// <summary>The ciphertext is not a whole number of cipher blocks (RFC 4303 §2.4).</summary>
    Malformed,

    /// <summary>No SA has this SPI (RFC 4303 §3.4.2); raised by the SA lookup, not by an SA.</summary>
    UnknownSpi,

    /// <summary>The packet's SPI is not the SPI of the SA it was handed to.</summary>
    SpiMismatch,

    /// <summary>Sequence number already received inside the window (RFC 4303 §3.4.3).</summary>
    Replayed,

    /// <summary>
    /// Sequence number left of the window, or 0 (RFC 4303 §3.4.3). With extended sequence numbers a low half left of
    /// the window is read as the next subspace (RFC 4303 A2.2), so such a packet fails the ICV instead.
    /// </summary>
    TooOld,

    /// <summary>The ICV did not verify (RFC 4303 §3.4.4); the window was not touched.</summary>
    IntegrityCheckFailed,

    /// <summary>Authentic, but Pad Length or the padding bytes are wrong (RFC 4303 §2.4, §2.5).</summary>
    InvalidPadding,

    /// <summary>Authentic dummy packet, Next Header 59, to be discarded without error (RFC 4303 §2.6).</summary>
    DummyPacket,

    /// <summary>The destination buffer cannot hold the decrypted payload.</summary>
    DestinationTooSmall,

    /// <summary>The SA has been disposed (removed or replaced after a rekey).</summary>
    SaRemoved,
}
