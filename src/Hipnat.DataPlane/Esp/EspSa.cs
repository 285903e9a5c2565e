using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Hipnat.Crypto;

namespace Hipnat.DataPlane.Esp;

/// <summary>
/// One unidirectional ESP security association in BEET/transport format (RFC 7402 §3, RFC 4303 §2): SPI, transform,
/// keys, sequence number, anti-replay window (inbound), counters and last use.
/// </summary>
/// <remarks>
/// <para>
/// Packet layout produced by <see cref="Seal"/> and consumed by <see cref="TryOpen"/>:
/// <c>SPI | Sequence Number (low 32 bits) | IV | encrypted(payload | padding | Pad Length | Next Header) | ICV</c>.
/// </para>
/// <para>
/// Thread-safety: <see cref="Seal"/>, <see cref="TryOpen"/> and <see cref="Dispose"/> take a per-SA lock (the cipher
/// objects and the sequence/replay state are not thread-safe), so several I/O threads may share an SA. With AES-GCM
/// on the CPU's instructions, sealing holds the lock only to take the sequence number: several threads (the TUN
/// queues' readers) seal for one SA at once, and their packets may leave out of sequence order by up to a batch
/// each, which the peer's replay window absorbs (RFC 4303 §3.4.3). Counters and <see cref="NeedsRekey"/> may be read from any
/// thread without the lock and can be a packet stale. Disposing an SA that an I/O thread still holds is safe: later
/// calls fail with <see cref="EspDropReason.SaRemoved"/> (or <see cref="ObjectDisposedException"/> from
/// <see cref="Seal"/>).
/// </para>
/// <para>
/// Allocation: nothing allocates per packet when the CPU has AES-NI and PCLMULQDQ (AES-CBC and AES-GCM then run on
/// hardware intrinsics and verify the ICV before decrypting). Without them the BCL fallbacks are used: AES-CBC's
/// one-shot calls allocate a small native context per packet, and <see cref="AesGcm"/> throws (caught here) on every
/// ICV failure.
/// </para>
/// </remarks>
public sealed class EspSa : IDisposable
{
    private const byte NoNextHeader = 59; // RFC 4303 §2.6: dummy packet
    private const int HmacSha256Length = 32;

    private readonly Lock _lock = new();
    private readonly AesCbcCipher? _cbc;
    private readonly AesGcmCipher? _gcm;
    private readonly IncrementalHash? _hmac;
    private readonly uint _gcmSalt;
    private readonly UInt128 _ivSeed;
    private readonly ReplayWindow? _window;
    private readonly bool _esn;
    private readonly ulong _maxSequence;
    private readonly ulong _sequenceMargin;
    private readonly ulong? _packetLimit;
    private readonly ulong? _byteLimit;
    private readonly TimeSpan? _lifetime;
    private readonly TimeProvider _time;
    private ulong _sequence;
    private ulong _packets;
    private ulong _bytes;
    private ulong _dropped;
    private ulong _consecutiveIntegrityFailures;
    private long _lastUsed;
    private bool _disposed;
    private int _sealing;
    private ulong[]? _unsent; // per concurrent sealer: the oldest sequence number it sealed and has not sent (0: none)

    /// <summary>Creates an SA from its two keys, as drawn from KEYMAT (RFC 7402 §7).</summary>
    /// <param name="spi">The SPI; 1–255 are reserved and 0 is local-use only (RFC 4303 §2.1).</param>
    /// <param name="encryptionKey"><see cref="EspTransform.EncryptionKeyLength"/> octets (for GCM: key then 4-octet salt).</param>
    /// <param name="authenticationKey"><see cref="EspTransform.AuthenticationKeyLength"/> octets (empty for GCM).</param>
    public EspSa(
        uint spi,
        EspSaDirection direction,
        EspTransform transform,
        ReadOnlySpan<byte> encryptionKey,
        ReadOnlySpan<byte> authenticationKey,
        EspSaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transform);
        options ??= EspSaOptions.Default;

        // RFC 4303 §2.1: SPI values 1-255 are reserved by IANA; 0 is reserved for local use and never sent.
        if (spi < 256)
        {
            throw new ArgumentOutOfRangeException(nameof(spi), spi, "SPIs 0-255 are reserved (RFC 4303 §2.1)");
        }

        if (encryptionKey.Length != transform.EncryptionKeyLength)
        {
            throw new ArgumentException($"{transform} needs a {transform.EncryptionKeyLength}-octet encryption key", nameof(encryptionKey));
        }

        if (authenticationKey.Length != transform.AuthenticationKeyLength)
        {
            throw new ArgumentException($"{transform} needs a {transform.AuthenticationKeyLength}-octet authentication key", nameof(authenticationKey));
        }

        Spi = spi;
        Direction = direction;
        Transform = transform;
        _esn = options.ExtendedSequenceNumbers;
        _maxSequence = _esn ? ulong.MaxValue : uint.MaxValue;
        _sequenceMargin = options.SequenceRekeyMargin;
        _packetLimit = options.PacketLimit;
        _byteLimit = options.ByteLimit;
        _lifetime = options.Lifetime;
        _time = options.TimeProvider ?? TimeProvider.System;
        CreatedTimestamp = _time.GetTimestamp();
        _lastUsed = CreatedTimestamp;

        switch (transform.Cipher)
        {
            case EspCipherKind.AesGcm:
                // RFC 4106 §8.1: the AES key, then four octets of salt for the nonce.
                _gcm = new AesGcmCipher(encryptionKey[..transform.AesKeyLength]);
                _gcmSalt = BinaryPrimitives.ReadUInt32BigEndian(encryptionKey[transform.AesKeyLength..]);
                break;
            case EspCipherKind.AesCbc:
                _cbc = new AesCbcCipher(encryptionKey);
                Span<byte> seed = stackalloc byte[16];
                RandomNumberGenerator.Fill(seed);
                _ivSeed = BinaryPrimitives.ReadUInt128BigEndian(seed);
                _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, authenticationKey);
                break;
            default:
                _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, authenticationKey);
                break;
        }

        if (direction == EspSaDirection.Inbound)
        {
            _window = new ReplayWindow(options.ReplayWindowSize);
        }
    }

    /// <summary>
    /// Creates our outbound and inbound SA of one SA pair from the keys <see cref="EspKeys.Derive"/> drew for
    /// <paramref name="transform"/>. <paramref name="outboundSpi"/> is the SPI the peer chose (its ESP_INFO New SPI),
    /// <paramref name="inboundSpi"/> the one we chose.
    /// </summary>
    public static (EspSa Outbound, EspSa Inbound) CreatePair(
        EspTransform transform, EspKeys keys, uint outboundSpi, uint inboundSpi, EspSaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var outbound = new EspSa(outboundSpi, EspSaDirection.Outbound, transform,
            keys.OutboundEncryptionKey.Span, keys.OutboundAuthenticationKey.Span, options);
        var inbound = new EspSa(inboundSpi, EspSaDirection.Inbound, transform,
            keys.InboundEncryptionKey.Span, keys.InboundAuthenticationKey.Span, options);
        return (outbound, inbound);
    }

    public uint Spi { get; }

    public EspSaDirection Direction { get; }

    public EspTransform Transform { get; }

    /// <summary>True when the SA uses 64-bit extended sequence numbers (RFC 4303 §2.2.1).</summary>
    public bool ExtendedSequenceNumbers => _esn;

    /// <summary>Offset of the payload in an ESP packet (ESP header and IV): where <see cref="TryOpen"/> may decrypt in place.</summary>
    public int PayloadOffset => Transform.PayloadOffset;

    /// <summary>Outbound: the last sequence number sent. Inbound: the highest authenticated one (T).</summary>
    public ulong SequenceNumber => _window?.Highest ?? Volatile.Read(ref _sequence);

    /// <summary>Packets sealed (outbound) or authenticated (inbound).</summary>
    public ulong Packets => Volatile.Read(ref _packets);

    /// <summary>Payload octets sealed or authenticated (excluding ESP overhead).</summary>
    public ulong Bytes => Volatile.Read(ref _bytes);

    /// <summary>Inbound packets dropped by this SA, for any reason.</summary>
    public ulong DroppedPackets => Volatile.Read(ref _dropped);

    /// <summary>ICV failures since the last authentic packet (the RFC 4303 A3.1 resynchronisation trigger).</summary>
    public ulong ConsecutiveIntegrityFailures => Volatile.Read(ref _consecutiveIntegrityFailures);

    /// <summary><see cref="TimeProvider"/> timestamp of creation.</summary>
    public long CreatedTimestamp { get; }

    /// <summary><see cref="TimeProvider"/> timestamp of the last sealed or authenticated packet (creation before that).</summary>
    public long LastUsedTimestamp => Volatile.Read(ref _lastUsed);

    /// <summary>Time since the last use, for the inactivity timeout of RFC 7402 §3.3.7.</summary>
    public TimeSpan IdleTime => _time.GetElapsedTime(LastUsedTimestamp);

    /// <summary>Time since creation.</summary>
    public TimeSpan Age => _time.GetElapsedTime(CreatedTimestamp);

    /// <summary>True when an outbound SA has used its last sequence number and can seal nothing more (RFC 4303 §3.3.3).</summary>
    public bool IsExhausted => Direction == EspSaDirection.Outbound && Volatile.Read(ref _sequence) == _maxSequence;

    /// <summary>
    /// True when the SA should be replaced by a rekey (RFC 7402 §6.8): the sequence number is within
    /// <see cref="EspSaOptions.SequenceRekeyMargin"/> of cycling (RFC 7402 §3.3.6), or a configured packet, byte or
    /// time limit has been reached.
    /// </summary>
    public bool NeedsRekey
    {
        get
        {
            ulong seq = SequenceNumber;
            if (_maxSequence - seq <= _sequenceMargin)
            {
                return true;
            }

            if (Packets >= _packetLimit || Bytes >= _byteLimit)
            {
                return true;
            }

            return _lifetime is { } life && Age >= life;
        }
    }

    /// <summary>
    /// Seals <paramref name="payload"/> (in BEET mode the transport segment after the inner IP header) into an ESP
    /// packet at the start of <paramref name="destination"/> and returns its length
    /// (<see cref="EspTransform.GetSealedLength"/>). The payload may lie anywhere, including inside
    /// <paramref name="destination"/> (zero-copy: at <see cref="PayloadOffset"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The destination is too small.</exception>
    /// <exception cref="InvalidOperationException">The sequence number would cycle (<see cref="IsExhausted"/>) or the SA is inbound.</exception>
    public int Seal(ReadOnlySpan<byte> payload, byte nextHeader, Span<byte> destination)
    {
        if (TrySeal(payload, nextHeader, destination, out int length))
        {
            return length;
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsExhausted)
        {
            throw new InvalidOperationException($"SA 0x{Spi:x8}: sequence number exhausted; rekey (RFC 4303 §3.3.3)");
        }

        throw new ArgumentException($"destination holds {destination.Length} octets, {Transform.GetSealedLength(payload.Length)} needed", nameof(destination));
    }

    /// <summary><paramref name="sealer"/> has sent every packet it sealed with this SA.</summary>
    public void MarkSent(int sealer)
    {
        if (_unsent is { } unsent && (uint)sealer < MaxSealers)
        {
            Volatile.Write(ref unsent[sealer], 0);
        }
    }

    /// <summary>
    /// Most sealers (the readers of a multi-queue TUN device) that share an SA through <see cref="TrySeal(ReadOnlySpan{byte}, byte, Span{byte}, int, out int, out bool)"/>.
    /// </summary>
    public const int MaxSealers = 16;

    /// <summary>
    /// How far one sealer may take sequence numbers ahead of another's oldest packet not yet sent: packets of the SA
    /// leave out of order by less than this, inside any receiver's replay window (RFC 4303 §3.4.3: at least 32).
    /// </summary>
    public const int ReorderBound = 32;

    /// <summary>As <see cref="Seal"/>, returning false instead of throwing when the destination is too small, the
    /// sequence number is exhausted or the SA was disposed. No sequence number is consumed on failure.</summary>
    public bool TrySeal(ReadOnlySpan<byte> payload, byte nextHeader, Span<byte> destination, out int length) =>
        TrySeal(payload, nextHeader, destination, -1, out length, out _);

    /// <summary>
    /// <see cref="TrySeal(ReadOnlySpan{byte}, byte, Span{byte}, out int)"/> for one of several concurrent sealers,
    /// <paramref name="sealer"/> (0 to <see cref="MaxSealers"/> - 1; -1: none). A sealer's packets count as unsent
    /// from the first it seals until it calls <see cref="MarkSent"/>; while another sealer's oldest unsent packet is
    /// <see cref="ReorderBound"/> numbers behind, nothing is sealed and <paramref name="mustWait"/> is true — send
    /// what you hold, then try again.
    /// </summary>
    public bool TrySeal(ReadOnlySpan<byte> payload, byte nextHeader, Span<byte> destination, int sealer, out int length, out bool mustWait)
    {
        mustWait = false;
        if (Direction != EspSaDirection.Outbound)
        {
            throw new InvalidOperationException("an inbound SA cannot seal");
        }

        length = 0;
        var t = Transform;
        int ctLength = t.GetCiphertextLength(payload.Length);
        int ctStart = t.PayloadOffset;
        int ctEnd = ctStart + ctLength;
        int total = ctEnd + EspTransform.IcvSize;
        if (destination.Length < total)
        {
            return false;
        }

        // AES-GCM on the CPU's instructions keeps no state between packets: several threads seal at once, each with
        // its own sequence number taken under the lock. The other suites (an IncrementalHash, the BCL's AesGcm) seal
        // under the lock.
        bool concurrent = _gcm is { UsesHardware: true };
        ulong seq;
        lock (_lock)
        {
            // RFC 4303 §3.3.3: the sender MUST NOT send a packet that would make the sequence number cycle.
            if (_disposed || _sequence == _maxSequence)
            {
                return false;
            }

            if (sealer >= 0)
            {
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sealer, MaxSealers);
                var unsent = _unsent ??= new ulong[MaxSealers];
                ulong next = _sequence + 1;
                for (int i = 0; i < unsent.Length; i++)
                {
                    ulong oldest = Volatile.Read(ref unsent[i]);
                    if (i != sealer && oldest != 0 && next - oldest >= ReorderBound)
                    {
                        mustWait = true;
                        return false;
                    }
                }

                if (unsent[sealer] == 0)
                {
                    Volatile.Write(ref unsent[sealer], next);
                }
            }

            seq = ++_sequence;
            _packets++;
            _bytes += (ulong)payload.Length;
            _lastUsed = _time.GetTimestamp();
            if (concurrent)
            {
                Interlocked.Increment(ref _sealing);
            }
            else
            {
                WritePacket(payload, nextHeader, destination[..total], seq, ctStart, ctLength, ctEnd);
            }
        }

        if (concurrent)
        {
            try
            {
                WritePacket(payload, nextHeader, destination[..total], seq, ctStart, ctLength, ctEnd);
            }
            finally
            {
                Interlocked.Decrement(ref _sealing);
            }
        }

        length = total;
        return true;
    }

    /// <summary>
    /// Verifies and decrypts one ESP packet (RFC 4303 §3.4): SPI, preliminary anti-replay check, ICV (before any
    /// decryption for the CBC and NULL suites), decryption, window update, padding and Next Header. Writes the payload
    /// to the start of <paramref name="destination"/>, which needs room for the whole ciphertext
    /// (<c>espPacket.Length - PayloadOffset - 16</c> octets) and must either not overlap the packet or start exactly at
    /// <c>espPacket[PayloadOffset..]</c> (in-place). Never throws on packet content.
    /// </summary>
    public bool TryOpen(ReadOnlySpan<byte> espPacket, Span<byte> destination, out int length, out byte nextHeader, out EspDropReason reason)
    {
        if (Direction != EspSaDirection.Inbound)
        {
            throw new InvalidOperationException("an outbound SA cannot open packets");
        }

        length = 0;
        nextHeader = 0;
        var t = Transform;
        int ctStart = t.PayloadOffset;
        int ctLength = espPacket.Length - ctStart - EspTransform.IcvSize;
        if (ctLength < EspTransform.TrailerLength)
        {
            return Drop(EspDropReason.Truncated, out reason);
        }

        // RFC 4303 §2.4: the encrypted part is a whole number of cipher blocks.
        if (ctLength % t.BlockSize != 0)
        {
            return Drop(EspDropReason.Malformed, out reason);
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(espPacket) != Spi)
        {
            return Drop(EspDropReason.SpiMismatch, out reason);
        }

        if (destination.Length < ctLength)
        {
            return Drop(EspDropReason.DestinationTooSmall, out reason);
        }

        if (espPacket.Overlaps(destination, out int overlap) && overlap != ctStart)
        {
            throw new ArgumentException("destination overlaps the packet other than exactly at the payload offset", nameof(destination));
        }

        int ctEnd = ctStart + ctLength;
        ReadOnlySpan<byte> ciphertext = espPacket[ctStart..ctEnd];
        ReadOnlySpan<byte> receivedIcv = espPacket.Slice(ctEnd, EspTransform.IcvSize);
        Span<byte> plaintext = destination[..ctLength];

        lock (_lock)
        {
            if (_disposed)
            {
                return Drop(EspDropReason.SaRemoved, out reason);
            }

            // RFC 4303 §3.4.3 and Appendix A2.2: rebuild the 64-bit sequence number from the 32 bits on the wire
            // and the window; the preliminary check runs before the ICV and changes nothing.
            uint low = BinaryPrimitives.ReadUInt32BigEndian(espPacket[4..]);
            ulong seq = _esn ? _window!.InferSequenceNumber(low) : low;
            switch (_window!.Check(seq))
            {
                case ReplayCheckResult.Duplicate:
                    return Drop(EspDropReason.Replayed, out reason);
                case ReplayCheckResult.TooOld:
                    return Drop(EspDropReason.TooOld, out reason);
            }

            bool authentic = t.Cipher == EspCipherKind.AesGcm
                ? OpenGcm(espPacket, seq, ciphertext, receivedIcv, plaintext)
                : VerifyHmacIcv(espPacket[..ctEnd], seq, receivedIcv);
            if (!authentic)
            {
                _consecutiveIntegrityFailures++;
                return Drop(EspDropReason.IntegrityCheckFailed, out reason);
            }

            // RFC 4303 §3.4.4.1 step 2: decrypt only after the ICV verified (GCM verified its tag, then decrypted).
            if (t.Cipher == EspCipherKind.AesCbc)
            {
                _cbc!.Decrypt(espPacket.Slice(EspTransform.EspHeaderLength, AesCbcCipher.BlockSize), ciphertext, plaintext);
            }
            else if (t.Cipher == EspCipherKind.Null)
            {
                ciphertext.CopyTo(plaintext);
            }

            // RFC 4303 §3.4.3: the window is updated only once integrity is verified.
            _window.Update(seq);
            _consecutiveIntegrityFailures = 0;
            _lastUsed = _time.GetTimestamp();

            // RFC 4303 §2.5: Pad Length counts the padding octets before it; §2.4: the receiver SHOULD inspect the
            // default 1, 2, 3, ... padding.
            int padLength = plaintext[^2];
            int payloadLength = ctLength - EspTransform.TrailerLength - padLength;
            if (payloadLength < 0 || !IsDefaultPadding(plaintext.Slice(payloadLength, padLength)))
            {
                return Drop(EspDropReason.InvalidPadding, out reason);
            }

            _packets++;
            _bytes += (ulong)payloadLength;

            // RFC 4303 §2.6, §3.4.4.1 step 4: Next Header 59 marks a dummy packet, discarded without error.
            nextHeader = plaintext[^1];
            if (nextHeader == NoNextHeader)
            {
                return Drop(EspDropReason.DummyPacket, out reason);
            }

            length = payloadLength;
        }

        reason = EspDropReason.None;
        return true;
    }

    /// <summary>Sets the last sent sequence number, for tests of the wrap and exhaustion paths.</summary>
    internal void SetSequenceNumber(ulong lastSent)
    {
        lock (_lock)
        {
            _sequence = lastSent;
        }
    }

    /// <summary>The inbound window, for tests.</summary>
    internal ReplayWindow? Window => _window;

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        // No seal starts after _disposed; one that runs outside the lock finishes before the keys are wiped.
        var wait = new SpinWait();
        while (Volatile.Read(ref _sealing) != 0)
        {
            wait.SpinOnce();
        }

        lock (_lock)
        {
            _gcm?.Dispose();
            _cbc?.Dispose();
            _hmac?.Dispose();
        }
    }

    public override string ToString() => $"ESP SA 0x{Spi:x8} {Direction} {Transform}";

    /// <summary>Writes the ESP packet for sequence number <paramref name="seq"/> into <paramref name="packet"/>
    /// (under the lock, or outside it for hardware AES-GCM: see <see cref="TrySeal"/>).</summary>
    private void WritePacket(ReadOnlySpan<byte> payload, byte nextHeader, Span<byte> packet, ulong seq, int ctStart, int ctLength, int ctEnd)
    {
        var t = Transform;

        // Payload first: the copy is a memmove, so a payload that overlaps the header area is moved before the
        // header overwrites it.
        payload.CopyTo(packet[ctStart..]);

        // RFC 4303 §2.1, §2.2: SPI, then the low-order 32 bits of the (extended) sequence number.
        BinaryPrimitives.WriteUInt32BigEndian(packet, Spi);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], (uint)seq);

        // RFC 4303 §2.4: default padding 1, 2, 3, ...; then Pad Length (§2.5) and Next Header (§2.6).
        Span<byte> plaintext = packet[ctStart..ctEnd];
        int padLength = ctLength - payload.Length - EspTransform.TrailerLength;
        Span<byte> padding = plaintext.Slice(payload.Length, padLength);
        for (int i = 0; i < padding.Length; i++)
        {
            padding[i] = (byte)(i + 1);
        }

        plaintext[^2] = (byte)padLength;
        plaintext[^1] = nextHeader;

        Span<byte> icv = packet.Slice(ctEnd, EspTransform.IcvSize);
        switch (t.Cipher)
        {
            case EspCipherKind.AesGcm:
                SealGcm(packet, seq, plaintext, icv);
                break;
            case EspCipherKind.AesCbc:
                // RFC 3602: the IV must be unpredictable. It is the encryption, under the SA key, of a random
                // per-SA seed xor the sequence number: distinct per packet and unpredictable without the key.
                Span<byte> iv = packet.Slice(EspTransform.EspHeaderLength, AesCbcCipher.BlockSize);
                BinaryPrimitives.WriteUInt128BigEndian(iv, _ivSeed ^ seq);
                _cbc!.EncryptBlock(iv, iv);
                _cbc.EncryptInPlace(iv, plaintext);
                ComputeHmacIcv(packet, ctEnd, seq);
                break;
            default:
                // RFC 2410: NULL encryption leaves the plaintext as is.
                ComputeHmacIcv(packet, ctEnd, seq);
                break;
        }
    }

    private void SealGcm(Span<byte> packet, ulong seq, Span<byte> plaintext, Span<byte> icv)
    {
        // RFC 4106 §3.1: the 8-octet IV must not repeat for a key; the 64-bit sequence number never does.
        Span<byte> iv = packet.Slice(EspTransform.EspHeaderLength, 8);
        BinaryPrimitives.WriteUInt64BigEndian(iv, seq);

        // RFC 4106 §4: nonce = salt | IV.
        Span<byte> nonce = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(nonce, _gcmSalt);
        iv.CopyTo(nonce[4..]);

        Span<byte> aad = stackalloc byte[12];
        _gcm!.Encrypt(nonce, plaintext, icv, BuildGcmAad(packet, seq, aad));
    }

    private bool OpenGcm(ReadOnlySpan<byte> packet, ulong seq, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> icv, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(nonce, _gcmSalt);
        packet.Slice(EspTransform.EspHeaderLength, 8).CopyTo(nonce[4..]);

        Span<byte> aad = stackalloc byte[12];
        return _gcm!.Decrypt(nonce, ciphertext, icv, plaintext, BuildGcmAad(packet, seq, aad));
    }

    /// <summary>RFC 4106 §5: AAD = SPI | 32-bit sequence number, or SPI | 64-bit extended sequence number.</summary>
    private ReadOnlySpan<byte> BuildGcmAad(ReadOnlySpan<byte> packet, ulong seq, Span<byte> aad)
    {
        if (!_esn)
        {
            return packet[..8];
        }

        packet[..4].CopyTo(aad);
        BinaryPrimitives.WriteUInt64BigEndian(aad[4..], seq);
        return aad;
    }

    /// <summary>
    /// RFC 4303 §3.3.2.1 step 4: HMAC over SPI | Seq | IV | ciphertext, with the high-order 32 ESN bits appended
    /// (not transmitted); RFC 4868 §2.3: the ICV is the first 128 bits. The ESN bits are staged in the ICV slot,
    /// which the ICV then overwrites.
    /// </summary>
    private void ComputeHmacIcv(Span<byte> packet, int ctEnd, ulong seq)
    {
        int covered = ctEnd;
        if (_esn)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet[ctEnd..], (uint)(seq >> 32));
            covered += 4;
        }

        Span<byte> mac = stackalloc byte[HmacSha256Length];
        _hmac!.AppendData(packet[..covered]);
        _hmac.GetHashAndReset(mac);
        mac[..EspTransform.IcvSize].CopyTo(packet[ctEnd..]);
    }

    /// <summary>RFC 4303 §3.4.4.1 step 1 and RFC 4868 §2.3: recompute, truncate, compare in constant time.</summary>
    private bool VerifyHmacIcv(ReadOnlySpan<byte> authenticated, ulong seq, ReadOnlySpan<byte> icv)
    {
        _hmac!.AppendData(authenticated);
        if (_esn)
        {
            Span<byte> high = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(high, (uint)(seq >> 32));
            _hmac.AppendData(high);
        }

        Span<byte> mac = stackalloc byte[HmacSha256Length];
        _hmac.GetHashAndReset(mac);
        return CryptographicOperations.FixedTimeEquals(mac[..EspTransform.IcvSize], icv);
    }

    private static bool IsDefaultPadding(ReadOnlySpan<byte> padding)
    {
        for (int i = 0; i < padding.Length; i++)
        {
            if (padding[i] != (byte)(i + 1))
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Drop(EspDropReason why, out EspDropReason reason)
    {
        reason = why;
        Interlocked.Increment(ref _dropped);
        return false;
    }
}
