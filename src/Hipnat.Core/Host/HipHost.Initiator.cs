using System.Security.Cryptography;
using Hipnat.Core.Association;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>Initiator side of the base exchange: I1, R1 → I2, R2 (RFC 7401 §6.6, §6.8, §6.10).</summary>
public sealed partial class HipHost
{
    /// <summary>
    /// Starts a base exchange with <paramref name="peer"/> at its known locators (I1 to each in parallel,
    /// RFC 7401 §6.6.1). Nothing happens if an association is already established or being set up.
    /// </summary>
    public void Connect(Hit peer, TimeSpan now)
    {
        if (peer == LocalHit)
        {
            throw new InvalidOperationException("cannot open a host association with our own HIT");
        }

        if (!_peerLocators.TryGetValue(peer, out var locators) || locators.Count == 0)
        {
            throw new InvalidOperationException($"no locator known for {peer}: add one (--peer HIT=ADDR:PORT) first");
        }

        if (_associations.TryGetValue(peer, out var existing)
            && existing.State is AssociationState.I1Sent or AssociationState.I2Sent or AssociationState.R2Sent or AssociationState.Established)
        {
            return;
        }

        if (existing is not null)
        {
            ForgetAssociation(existing); // failed or closing: the new exchange replaces it
        }

        var a = new HostAssociation(LocalHit, peer, now) { IsInitiator = true, ExchangeStarted = now, Peer = NewPeerLocatorSet() };
        a.PeerLocators.AddRange(locators);
        _associations[peer] = a;
        SetState(a, AssociationState.I1Sent, now);

        Span<byte> hip = stackalloc byte[256];
        var b = new HipPacketBuilder(hip, HipPacketType.I1, LocalHit, peer);
        b.Add(new DhGroupListParameter(_options.DhGroups.Select(g => (byte)g).ToArray()));
        int len = b.Finish();
        a.Pending = hip[..len].ToArray();
        a.PendingLength = len;
        a.RetransmitInterval = _options.RetransmitInitial;
        SendPendingToAll(a, now);
        a.NextRetransmit = now + a.RetransmitInterval;
        ScheduleTimer(a);
    }

    private void SendPendingToAll(HostAssociation a, TimeSpan now)
    {
        foreach (var loc in a.PeerLocators)
        {
            EmitCopy(DefaultLocal(loc), loc, a.Pending.AsSpan(0, a.PendingLength));
        }

        a.LastSent = now;
    }

    private void OnR1(HipPacket packet, TransportAddress local, TransportAddress remote, TimeSpan now)
    {
        var peer = packet.Header.SenderHit;
        if (!_associations.TryGetValue(peer, out var a)
            || a.State is not (AssociationState.I1Sent or AssociationState.I2Sent or AssociationState.Closing or AssociationState.Closed))
        {
            Drop(DropReason.WrongState, $"R1 from {peer} without a pending I1");
            return;
        }

        if (packet.TryGet<R1CounterParameter>(out var counter))
        {
            // §6.8 step 3: in I2-SENT only a newer R1 generation replaces the one we answered.
            if (a.State == AssociationState.I2Sent && a.LastR1Counter is ulong last && counter.Generation <= last)
            {
                Drop(DropReason.StaleR1Counter, $"R1 from {peer}: counter {counter.Generation} not newer than {last}");
                return;
            }
        }
        else if (a.State == AssociationState.I2Sent)
        {
            Drop(DropReason.Duplicate, $"R1 from {peer} while in I2-SENT");
            return;
        }

        if (!packet.TryFind(ParameterType.HostId, out var hostIdTlv) || !packet.TryGet<HostIdParameter>(out var hostId, out var err))
        {
            Drop(DropReason.BadHostId, $"R1 from {peer}: HOST_ID missing or malformed");
            return;
        }

        if (!PeerHostIdentity.TryCreate((HostIdentityAlgorithm)hostId.Algorithm, hostId.HostIdentity.Span, out var peerId, out string? why))
        {
            Drop(DropReason.BadHostId, $"R1 from {peer}: {why}");
            return;
        }

        if (peerId.Hit != peer)
        {
            Drop(DropReason.HitMismatch, $"R1 sender HIT {peer} is not the HIT of its HOST_ID");
            return;
        }

        if (!CheckSignature(packet, ParameterType.HipSignature2, peerId, $"R1 from {peer}"))
        {
            return;
        }

        // Signed content from here on.
        if (!packet.TryGet<PuzzleParameter>(out var puzzle, out err)
            || !packet.TryGet<DiffieHellmanParameter>(out var dhParam, out err)
            || !packet.TryGet<DhGroupListParameter>(out var theirGroups, out err)
            || !packet.TryGet<HipCipherParameter>(out var theirCiphers, out err))
        {
            Drop(DropReason.Malformed, $"R1 from {peer}: {err}");
            return;
        }

        // §4.1.7 downgrade protection: the Responder's choice must be our most preferred group it supports.
        DhGroupId expected = default;
        bool found = false;
        foreach (var g in _options.DhGroups)
        {
            if (theirGroups.GroupIds.Contains((byte)g))
            {
                expected = g;
                found = true;
                break;
            }
        }

        if (!found || (DhGroupId)dhParam.GroupId != expected)
        {
            Fail(a, now, $"DH group negotiation failed or was downgraded (offered {string.Join(",", _options.DhGroups)}, got {dhParam.GroupId})");
            return;
        }

        HipCipherId cipher = default;
        found = false;
        foreach (var c in _options.Ciphers)
        {
            if (theirCiphers.CipherIds.Contains((ushort)c))
            {
                cipher = c;
                found = true;
                break;
            }
        }

        if (!found)
        {
            Fail(a, now, "no common HIP_CIPHER");
            return;
        }

        if (packet.TryGet<HitSuiteListParameter>(out var suites) && !suites.SuiteIds.Contains(_identity.Suite.ToHitSuiteListId()))
        {
            Fail(a, now, $"the responder does not accept our HIT suite {_identity.Suite}");
            return;
        }

        ushort espSuite = 0;
        if (packet.TryGet<EspTransformParameter>(out var theirEsp))
        {
            foreach (var s in _options.EspSuites)
            {
                if (theirEsp.SuiteIds.Contains(s))
                {
                    espSuite = s;
                    break;
                }
            }

            if (espSuite == 0)
            {
                Fail(a, now, "no common ESP transform");
                return;
            }
        }

        // RFC 9028 §4.3: choose our most preferred NAT traversal mode among those offered; no parameter means
        // the peer only knows plain UDP encapsulation. §4.4: Ta is the larger of the two minimums.
        var natMode = NatTraversalMode.UdpEncapsulation;
        // §4.7.3: an R1 that arrived without UDP encapsulation may be answered without any NAT traversal mode.
        bool natModeOffered = remote.Kind == TransportKind.Udp & packet.TryGet<NatTraversalModeParameter>(out var theirModes);
        if (natModeOffered)
        {
            bool any = false;
            foreach (var m in _options.EffectiveNatTraversalModes)
            {
                if (theirModes.Modes.Contains(m))
                {
                    natMode = m;
                    any = true;
                    break;
                }
            }

            if (!any)
            {
                Fail(a, now, "no common NAT traversal mode");
                return;
            }
        }

        var pacing = _options.TransactionPacing;
        if (packet.TryGet<TransactionPacingParameter>(out var theirPacing) && theirPacing.MinTa > pacing)
        {
            pacing = theirPacing.MinTa;
        }

        a.OfferedServices = packet.TryGet<RegInfoParameter>(out var regInfo) ? regInfo.Types : [];
        var suite = peerId.Suite;
        if (puzzle.K > _options.MaxAcceptedPuzzleDifficulty)
        {
            Fail(a, now, $"puzzle difficulty {puzzle.K} above our limit {_options.MaxAcceptedPuzzleDifficulty}");
            return;
        }

        Span<byte> j = stackalloc byte[puzzle.RandomI.Length];
        if (!Puzzle.TrySolve(suite, puzzle.RandomI.Span, LocalHit, peer, puzzle.K, j, maxAttempts: 1L << Math.Min(40, puzzle.K + 12)))
        {
            Fail(a, now, "could not solve the puzzle");
            return;
        }

        var group = (DhGroupId)dhParam.GroupId;
        var ourDh = NewDhKey(group);
        Span<byte> kijBuf = stackalloc byte[DhKeyPair.SharedSecretLength(group)];
        if (!ourDh.TryDeriveSharedSecret(dhParam.PublicValue.Span, kijBuf, out int kijLen))
        {
            Drop(DropReason.UnsupportedParameters, $"R1 from {peer}: invalid DH public value");
            return;
        }

        var keymat = new Keymat(suite, kijBuf[..kijLen], LocalHit, peer, puzzle.RandomI.Span, j);
        CryptographicOperations.ZeroMemory(kijBuf);
        var keys = HipKeys.Derive(keymat, cipher, suite, LocalHit, peer);

        a.PeerIdentity = peerId;
        a.PeerHostIdTlv = packet.Data.Slice(hostIdTlv.Offset, hostIdTlv.TotalLength).ToArray();
        a.DhGroup = group;
        a.Cipher = cipher;
        a.Suite = suite;
        a.EspSuite = espSuite;
        a.Keymat = keymat;
        a.KeymatIndex = (ushort)keymat.Index;
        a.OurEncryptionKey = keys.LocalEncryptionKey.ToArray();
        a.OurIntegrityKey = keys.LocalIntegrityKey.ToArray();
        a.PeerEncryptionKey = keys.PeerEncryptionKey.ToArray();
        a.PeerIntegrityKey = keys.PeerIntegrityKey.ToArray();
        a.PuzzleI = puzzle.RandomI.ToArray();
        a.PuzzleJ = j.ToArray();
        a.LastR1Counter = packet.Has(ParameterType.R1Counter) ? counter.Generation : null;
        a.NatMode = natMode;
        a.Pacing = pacing;
        a.PendingInboundSpi = a.PendingInboundSpi != 0 ? a.PendingInboundSpi : _random.NextSpi();
        a.LastSeen = now;
        SetActivePair(a, local, remote, now);

        // I2 (§5.3.3), parameters in ascending type order.
        Span<byte> hip = stackalloc byte[HipHeader.MaxPacketLength];
        var b = new HipPacketBuilder(hip, HipPacketType.I2, LocalHit, peer);
        b.Add(new EspInfoParameter(a.KeymatIndex, 0, a.PendingInboundSpi));
        if (packet.Has(ParameterType.R1Counter))
        {
            b.Add(counter);
        }

        bool ice = IsIceMode(natMode);
        if (!ice)
        {
            AddOurLocators(ref b, a);
        }

        b.Add(new SolutionParameter(puzzle.K, puzzle.Opaque, puzzle.RandomI, j.ToArray()));
        b.Add(new DiffieHellmanParameter((byte)group, ourDh.PublicValue));
        b.Add(new HipCipherParameter([(ushort)cipher]));
        if (natModeOffered)
        {
            b.Add(new NatTraversalModeParameter(natMode));
            b.Add(new TransactionPacingParameter((uint)pacing.TotalMilliseconds));
        }

        // RFC 9028 §4.3: with ICE the LOCATOR_SET (the offer) travels inside ENCRYPTED, with HOST_ID if hidden too.
        bool hideHostId = _options.EncryptHostId && cipher != HipCipherId.NullEncrypt;
        if (hideHostId || ice)
        {
            AddEncrypted(ref b, cipher, keys.LocalEncryptionKey.Span, ice ? OurLocatorSet(a) : null, hideHostId);
        }

        if (!hideHostId)
        {
            b.Add(R1Cache.HostIdParameterFor(_identity));
        }

        AddRegRequest(ref b, a, now, inI2: true);
        foreach (var p in packet.Parameters)
        {
            if (p.Type == ParameterType.EchoRequestSigned)
            {
                b.AddRaw(ParameterType.EchoResponseSigned, p.Contents);
            }
        }

        b.Add(new TransportFormatListParameter([ParameterType.EspTransform]));
        if (espSuite != 0)
        {
            b.Add(new EspTransformParameter([espSuite]));
        }

        AddMac(ref b, suite, a.OurIntegrityKey);
        AddSignature(ref b);
        foreach (var p in packet.Parameters)
        {
            if (p.Type == ParameterType.EchoRequestUnsigned)
            {
                b.AddRaw(ParameterType.EchoResponseUnsigned, p.Contents);
            }
        }

        int len = b.Finish();
        a.Pending = hip[..len].ToArray();
        a.PendingLength = len;
        a.Retries = 0;
        a.RetransmitInterval = _options.RetransmitInitial;
        SetState(a, AssociationState.I2Sent, now);
        EmitCopy(local, remote, a.Pending.AsSpan(0, len));
        a.LastSent = now;
        a.NextRetransmit = now + a.RetransmitInterval;
        ScheduleTimer(a);
    }

    /// <summary>ENCRYPTED (§5.2.18) holding LOCATOR_SET and/or HOST_ID TLVs, in ascending type order.</summary>
    private void AddEncrypted(ref HipPacketBuilder b, HipCipherId cipher, ReadOnlySpan<byte> key, LocatorSetParameter? locators, bool hostId)
    {
        Span<byte> tlvBuf = stackalloc byte[HipHeader.MaxPacketLength];
        var tb = new HipPacketBuilder(tlvBuf, HipPacketType.I2, LocalHit, LocalHit);
        if (locators is { } l)
        {
            tb.Add(l);
        }

        if (hostId)
        {
            tb.Add(R1Cache.HostIdParameterFor(_identity));
        }

        int total = tb.Finish() - HipHeader.Size;
        var tlv = tlvBuf.Slice(HipHeader.Size, total);
        int ivLen = HipCipher.IvLength(cipher);
        var data = new byte[ivLen + HipCipher.CiphertextLength(cipher, tlv.Length)];
        _random.Fill(data.AsSpan(0, ivLen));
        if (!HipCipher.TryEncrypt(cipher, key, data.AsSpan(0, ivLen), tlv, data.AsSpan(ivLen), out int n))
        {
            throw new InvalidOperationException("ENCRYPTED: cipher failed on our own parameters");
        }

        b.Add(new EncryptedParameter(data.AsMemory(0, ivLen + n)));
    }

    private void OnR2(HipPacket packet, TransportAddress local, TransportAddress remote, TimeSpan now)
    {
        var peer = packet.Header.SenderHit;
        if (!_associations.TryGetValue(peer, out var a) || a.State != AssociationState.I2Sent || a.PeerIdentity is null)
        {
            Drop(DropReason.WrongState, $"R2 from {peer} outside I2-SENT");
            return;
        }

        if (!VerifyMac(packet, ParameterType.HipMac2, a.Suite, a.PeerIntegrityKey, a.PeerHostIdTlv))
        {
            Drop(DropReason.BadMac, $"R2 from {peer}: HIP_MAC_2 does not verify");
            return;
        }

        // RFC 7401 §6.10 step 4; an R2 without HIP_SIGNATURE (§5.3.4) is counted as MissingSignature.
        if (!CheckSignature(packet, ParameterType.HipSignature, a.PeerIdentity, $"R2 from {peer}"))
        {
            return;
        }

        if (!packet.TryGet<EspInfoParameter>(out var espInfo) || espInfo.NewSpi == 0)
        {
            Drop(DropReason.Malformed, $"R2 from {peer}: ESP_INFO missing or SPI zero");
            return;
        }

        a.SaPairs.Clear();
        var sa = new EspSaPair(a.PendingInboundSpi, espInfo.NewSpi, a.EspSuite, a.KeymatIndex);
        a.SaPairs.Add(sa);
        if (a.EspSuite != 0)
        {
            DrawEspKeys(a, sa, a.KeymatIndex);
            Raise(new EspSaReady(now, a.PeerHit, sa, null));
        }

        LearnBaseExchangeLocators(packet, a, remote, a.Cipher, a.PeerEncryptionKey);
        if (!packet.Has(ParameterType.RelayTo))
        {
            AddObservedCandidate(a, remote);
        }
        if (packet.Has(ParameterType.RelayTo) && a.ActivePair is { } relayed)
        {
            relayed.ThroughRelay = true; // the R2 came through the responder's relay (RFC 9028 §4.5 step 8)
            a.PeerLocators.Remove(remote);
        }

        if (a.ClientRegistrations.Count > 0)
        {
            ProcessRegResponse(packet, a, now);
        }

        a.ClearPending();
        a.OurDhKey = null;
        a.PeerHostIdTlv = null;
        a.LastSeen = now;
        SetActivePair(a, local, remote, now);
        Establish(a, now);
        StartIce(a, now);
        foreach (var (early, l, r, v) in a.EarlyChecks)
        {
            if (HipPacket.TryParse(early, out var check) == WireError.None)
            {
                OnUpdate(check, l, r, now, v);
            }
        }

        a.EarlyChecks.Clear();
        ScheduleTimer(a);
    }

    internal void Establish(HostAssociation a, TimeSpan now)
    {
        a.EstablishedAt = now;
        a.StateDeadline = _options.UnusedAssociationLifetime > TimeSpan.Zero ? now + _options.UnusedAssociationLifetime : TimeSpan.MaxValue;
        SetState(a, AssociationState.Established, now);
        Counters.Established++;
        ScheduleKeepalive(a);
        if (!IsIceMode(a.NatMode))
        {
            StartDirectProbes(a, now);
        }
        var peerAddr = a.ActivePair?.Peer ?? default;
        Raise(new AssociationEstablished(now, a.PeerHit, a.IsInitiator, peerAddr, now - a.ExchangeStarted));
        ScheduleTimer(a);
        if (a.ClientRegistrations.Count > 0)
        {
            GatherMissingReflexive(now); // a registrar to ask for the reflexive address of each base
        }
    }

    internal void Fail(HostAssociation a, TimeSpan now, string reason)
    {
        a.ClearPending();
        a.NextUpdateRetransmit = TimeSpan.MaxValue;
        SetState(a, AssociationState.EFailed, now);
        a.StateDeadline = now + _options.FailedHoldTime;
        Counters.Failed++;
        Raise(new AssociationFailed(now, a.PeerHit, reason));
        DebugLog?.Invoke($"association with {a.PeerHit} failed: {reason}");
        ScheduleTimer(a);
    }

    internal static void SetActivePair(HostAssociation a, TransportAddress local, TransportAddress remote, TimeSpan now)
    {
        LocatorPair? pair = null;
        foreach (var p in a.Pairs)
        {
            if (p.Peer == remote)
            {
                pair = p;
                break;
            }
        }

        pair ??= new LocatorPair(local, remote);
        if (!a.PeerLocators.Contains(remote))
        {
            a.PeerLocators.Add(remote);
        }

        pair.Local = local;
        pair.LastReceived = now;
        a.Paths.Activate(pair);
    }
}
