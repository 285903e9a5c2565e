using System.Security.Cryptography;
using Hipnat.Core.Association;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>Responder side of the base exchange: I1 → R1 (stateless), I2 → R2 (RFC 7401 §6.7, §6.9).</summary>
public sealed partial class HipHost
{
    private void OnI1(HipPacket packet, TransportAddress local, TransportAddress remote, TimeSpan now, RelayedVia? via)
    {
        var peer = packet.Header.SenderHit;
        if (peer == LocalHit || peer.IsZero)
        {
            Drop(DropReason.Malformed, "I1 with our own or a null sender HIT");
            return;
        }

        if (_associations.TryGetValue(peer, out var a) && a.State == AssociationState.I1Sent && LocalHit < peer)
        {
            // RFC 7401 §4.4.3 Table 3: simultaneous I1s; the host with the smaller HIT stays Initiator.
            Drop(DropReason.WrongState, $"simultaneous I1 from {peer}: our HIT is smaller, we stay Initiator");
            return;
        }

        // §6.7: pick the first DH group of the Initiator's list that we support.
        var group = _options.DhGroups[0];
        if (packet.TryGet<DhGroupListParameter>(out var list))
        {
            foreach (byte g in list.GroupIds)
            {
                if (_options.DhGroups.Contains((DhGroupId)g))
                {
                    group = (DhGroupId)g;
                    break;
                }
            }
        }

        UpdatePuzzleDifficulty(now);
        var gen = _r1.Current(now, _puzzle.K);
        var buf = RentPacketBuffer();
        int len = _r1.WriteR1(gen, group, peer, buf.AsSpan(UdpMarkerLength));
        if (via is { } v)
        {
            // RFC 9028 §4.5 step 3: answer through the relay with RELAY_TO (outside the R1 signature);
            // RFC 8004 §3.3: answer a rendezvoused I1 directly, with VIA_RVS naming the server.
            len = AppendAfterSignature(buf.AsSpan(UdpMarkerLength), len, v);
            if (v.Rendezvous)
            {
                Emit(local, v.From, buf, len);
                return;
            }
        }

        Emit(local, remote, buf, len);
    }

    /// <summary>Lets the load move #K (RFC 7401 §4.1.1) and publishes it with the load in the counters.</summary>
    private void UpdatePuzzleDifficulty(TimeSpan now)
    {
        if (_puzzle.Update(now))
        {
            if (_puzzle.K > Counters.PuzzleDifficulty)
            {
                Counters.PuzzleRaises++;
            }

            // The new #K takes effect in the R1 cache now, not at the next R1 we send: a higher #K starts a new
            // generation (a second raise retires the one an attacker captured, whose #K it still solves), a lower
            // one re-signs the current one. RFC 7401 §4.1.1 (#K "appropriately" set under attack) and §4.1.4
            // (Responders "MAY accept puzzles from earlier generations", not must). A registrar flooded with I1s
            // for its clients (forwarded, RFC 8004 §3.2) or a host flooded with I2s alone sends no R1 of its own,
            // and used to keep accepting the captured generation for the whole rotation period.
            _r1.Current(now, _puzzle.K);

            DebugLog?.Invoke($"puzzle difficulty #K {Counters.PuzzleDifficulty} -> {_puzzle.K} ({_puzzle.InWindow} I2s reached DH in the load window)");
        }

        Counters.PuzzleDifficulty = _puzzle.K;
        Counters.I2WorkInWindow = _puzzle.InWindow;
    }

    private void OnI2(HipPacket packet, TransportAddress local, TransportAddress remote, TimeSpan now, RelayedVia? via)
    {
        Counters.I2Received++;
        var peer = packet.Header.SenderHit;
        if (peer == LocalHit || peer.IsZero)
        {
            Drop(DropReason.Malformed, "I2 with our own or a null sender HIT");
            return;
        }

        _associations.TryGetValue(peer, out var existing);
        if (existing is { State: AssociationState.I2Sent } && LocalHit < peer)
        {
            // Table 4: both sent I2; the smaller HIT drops the peer's I2 and waits for R2.
            Drop(DropReason.WrongState, $"crossing I2 from {peer}: our HIT is smaller");
            return;
        }

        // 1. Puzzle first: cheapest check, and it binds the I2 to an R1 we sent (§6.9 steps 1-4).
        if (!packet.TryGet<SolutionParameter>(out var solution, out var err))
        {
            Drop(DropReason.Malformed, $"I2 SOLUTION: {err}");
            return;
        }

        // A retransmitted I2 of an exchange we completed gets the same R2 again (Table 5, R2-SENT).
        if (existing is { CachedR2: not null } && solution.SolutionJ.Span.SequenceEqual(existing.PuzzleJ)
            && solution.RandomI.Span.SequenceEqual(existing.PuzzleI))
        {
            EmitCopy(local, remote, existing.CachedR2.AsSpan(0, existing.CachedR2Length));
            return;
        }

        var gen = _r1.FindByOpaque(solution.Opaque);
        if (gen is null)
        {
            Drop(DropReason.StaleR1Counter, $"I2 from {peer}: puzzle opaque {solution.Opaque} is not a current R1 generation");
            return;
        }

        if (packet.TryGet<R1CounterParameter>(out var counter) && counter.Generation != gen.Counter)
        {
            Drop(DropReason.StaleR1Counter, $"I2 from {peer}: R1_COUNTER {counter.Generation} does not match generation {gen.Counter}");
            return;
        }

        var suite = _identity.Suite;
        Span<byte> expectedI = stackalloc byte[_r1.PuzzleLength];
        _r1.ComputeI(gen, peer, LocalHit, expectedI);
        // The solution must meet the lowest #K this generation's R1s advertised (§4.1.1: #K may vary with load).
        if (solution.K < gen.Difficulty || !CryptographicOperations.FixedTimeEquals(expectedI, solution.RandomI.Span)
            || !Puzzle.Verify(suite, solution.RandomI.Span, peer, LocalHit, solution.SolutionJ.Span, solution.K))
        {
            Drop(DropReason.BadPuzzle, $"I2 from {peer}: puzzle solution does not verify (needs #K >= {gen.Difficulty})");
            return;
        }

        // §4.1.1: remember solved puzzles. A solution already spent on DH (its retransmission was answered above
        // from the association's cached R2) is a replay: dropped before any DH work (§6.9 step 4).
        var spent = SpentSolution.Of(peer, solution.SolutionJ.Span);
        if (gen.IsSpent(spent))
        {
            Drop(DropReason.ReplayedI2, $"I2 from {peer}: puzzle solution of generation {gen.Counter} already used");
            return;
        }

        if (existing is null && _associations.Count >= _options.MaxAssociations)
        {
            Drop(DropReason.RateLimited, $"I2 from {peer}: association table full ({_options.MaxAssociations})");
            return;
        }

        // 2. Negotiated parameters must be ones we offered (§6.9 steps 5-7).
        if (!packet.TryGet<DiffieHellmanParameter>(out var dhParam, out err))
        {
            Drop(DropReason.Malformed, $"I2 DIFFIE_HELLMAN: {err}");
            return;
        }

        var group = (DhGroupId)dhParam.GroupId;
        if (!gen.DhKeys.TryGetValue(group, out var ourDh))
        {
            Drop(DropReason.UnsupportedParameters, $"I2 from {peer}: DH group {group} was not offered");
            return;
        }

        if (!packet.TryGet<HipCipherParameter>(out var cipherParam, out err) || cipherParam.CipherIds.Length != 1
            || !_options.Ciphers.Contains((HipCipherId)cipherParam.CipherIds[0]))
        {
            Drop(DropReason.UnsupportedParameters, $"I2 from {peer}: HIP_CIPHER is not one offered ({err})");
            return;
        }

        var cipher = (HipCipherId)cipherParam.CipherIds[0];
        var natMode = NatTraversalMode.UdpEncapsulation;
        if (packet.TryGet<NatTraversalModeParameter>(out var chosenMode))
        {
            if (chosenMode.Modes.Length != 1 || !_options.EffectiveNatTraversalModes.Contains(chosenMode.Modes[0]))
            {
                Drop(DropReason.UnsupportedParameters, $"I2 from {peer}: NAT traversal mode was not offered");
                return;
            }

            natMode = chosenMode.Modes[0];
        }

        var pacing = _options.TransactionPacing;
        if (packet.TryGet<TransactionPacingParameter>(out var theirPacing) && theirPacing.MinTa > pacing)
        {
            pacing = theirPacing.MinTa;
        }

        ushort espSuite = 0;
        if (packet.TryGet<EspTransformParameter>(out var espParam))
        {
            if (espParam.SuiteIds.Length != 1 || !_options.EspSuites.Contains(espParam.SuiteIds[0]))
            {
                Drop(DropReason.UnsupportedParameters, $"I2 from {peer}: ESP_TRANSFORM is not one offered");
                return;
            }

            espSuite = espParam.SuiteIds[0];
        }

        // 3. Keys from the DH exchange (§6.5); DH validation rejects bad public values (§5.3.2, RFC 2785).
        // The solution is spent here, whatever the outcome: a copy of this I2 never costs DH again.
        if (!gen.TrySpend(spent))
        {
            Drop(DropReason.RateLimited, $"I2 from {peer}: generation {gen.Counter} holds {R1Cache.MaxSpentPerGeneration} solutions");
            return;
        }

        Counters.I2DhComputations++;
        _puzzle.Record(now);
        UpdatePuzzleDifficulty(now);
        Span<byte> kijBuf = stackalloc byte[DhKeyPair.SharedSecretLength(group)];
        if (!ourDh.TryDeriveSharedSecret(dhParam.PublicValue.Span, kijBuf, out int kijLen))
        {
            Drop(DropReason.UnsupportedParameters, $"I2 from {peer}: invalid DH public value");
            return;
        }

        var keymat = new Keymat(suite, kijBuf[..kijLen], peer, LocalHit, solution.RandomI.Span, solution.SolutionJ.Span);
        CryptographicOperations.ZeroMemory(kijBuf);
        var keys = HipKeys.Derive(keymat, cipher, suite, LocalHit, peer);

        // 4. The Initiator's HI: plain or in ENCRYPTED (§6.9 step 8), and it must hash to the sender HIT.
        if (!TryReadHostId(packet, cipher, keys.PeerEncryptionKey.ToArray(), out var hostId, out string? why))
        {
            Drop(DropReason.BadHostId, $"I2 from {peer}: {why}");
            return;
        }

        if (!PeerHostIdentity.TryCreate((HostIdentityAlgorithm)hostId.Algorithm, hostId.HostIdentity.Span, out var peerId, out why))
        {
            Drop(DropReason.BadHostId, $"I2 from {peer}: {why}");
            return;
        }

        if (peerId.Hit != peer)
        {
            Drop(DropReason.HitMismatch, $"I2 sender HIT {peer} is not the HIT of its HOST_ID ({peerId.Hit})");
            return;
        }

        // 5. HIP_MAC, then the signature: nothing is kept before both pass (§6.9 steps 9-10).
        if (!VerifyMac(packet, ParameterType.HipMac, suite, keys.PeerIntegrityKey.Span))
        {
            Drop(DropReason.BadMac, $"I2 from {peer}: HIP_MAC does not verify");
            return;
        }

        if (!CheckSignature(packet, ParameterType.HipSignature, peerId, $"I2 from {peer}"))
        {
            return;
        }

        if (!packet.TryGet<EspInfoParameter>(out var espInfo) || espInfo.NewSpi == 0)
        {
            Drop(DropReason.Malformed, $"I2 from {peer}: ESP_INFO missing or SPI zero");
            return;
        }

        // Accepted: build state (Table 2/6: an I2 for an established association replaces it).
        var a = new HostAssociation(LocalHit, peer, now)
        {
            Peer = NewPeerLocatorSet(),
            IsInitiator = false,
            ExchangeStarted = now,
            PeerIdentity = peerId,
            DhGroup = group,
            Cipher = cipher,
            Suite = suite,
            EspSuite = espSuite,
            Keymat = keymat,
            OurEncryptionKey = keys.LocalEncryptionKey.ToArray(),
            OurIntegrityKey = keys.LocalIntegrityKey.ToArray(),
            PeerEncryptionKey = keys.PeerEncryptionKey.ToArray(),
            PeerIntegrityKey = keys.PeerIntegrityKey.ToArray(),
            PuzzleI = solution.RandomI.ToArray(),
            PuzzleJ = solution.SolutionJ.ToArray(),
            LastSeen = now,
            NatMode = natMode,
            Pacing = pacing,
        };
        a.KeymatIndex = (ushort)keymat.Index;
        a.PeerLocators.Add(remote);
        var pair = new LocatorPair(local, remote) { State = LocatorPairState.Active, LastReceived = now, RelayedTo = via?.From };
        LearnBaseExchangeLocators(packet, a, via?.From ?? remote, cipher, a.PeerEncryptionKey);
        AddObservedCandidate(a, via?.From ?? remote);
        a.Paths.Activate(pair);
        uint ourSpi = _random.NextSpi();
        var sa = new EspSaPair(ourSpi, espInfo.NewSpi, espSuite, a.KeymatIndex);
        a.SaPairs.Add(sa);
        if (espSuite != 0)
        {
            DrawEspKeys(a, sa, a.KeymatIndex);
        }

        if (existing is not null)
        {
            Raise(new AssociationClosed(now, peer, ByPeer: true));
            DropServerRegistrations(peer, now);
            ForgetAssociation(existing);
        }

        _associations[peer] = a;
        a.State = AssociationState.Unassociated;
        SetState(a, AssociationState.R2Sent, now);
        if (espSuite != 0)
        {
            Raise(new EspSaReady(now, peer, sa, null));
        }

        // R2: ESP_INFO, HIP_MAC_2 (with our HOST_ID appended, §6.4.1), HIP_SIGNATURE.
        var buf = RentPacketBuffer();
        var hip = buf.AsSpan(UdpMarkerLength);
        var b = new HipPacketBuilder(hip, HipPacketType.R2, LocalHit, peer);
        b.Add(new EspInfoParameter(sa.KeymatIndex, 0, ourSpi));
        if (IsIceMode(natMode))
        {
            // RFC 9028 §4.3 step 4: the answer's LOCATOR_SET inside ENCRYPTED.
            AddEncrypted(ref b, cipher, a.OurEncryptionKey, OurLocatorSet(a), hostId: false);
        }
        else
        {
            AddOurLocators(ref b, a);
        }
        AnswerRegRequest(packet, a, local, via?.From ?? remote, now, ref b);
        AddMac2(ref b, suite, a.OurIntegrityKey);
        AddSignature(ref b);
        AddRelayTo(ref b, pair);
        int len = b.Finish();
        a.CachedR2 = hip[..len].ToArray();
        a.CachedR2Length = len;
        Emit(local, remote, buf, len);
        a.LastSent = now;
        a.StateDeadline = now + _options.R2SentHold;

        // Through a relay: start looking for the direct path now rather than after the R2-SENT hold.
        if (IsIceMode(natMode))
        {
            StartIce(a, now);
        }
        else
        {
            StartDirectProbes(a, now);
        }

        ScheduleTimer(a);
    }

    /// <summary>Reads HOST_ID from the I2, decrypting ENCRYPTED first when the Initiator chose to hide it.</summary>
    private static bool TryReadHostId(HipPacket packet, HipCipherId cipher, ReadOnlySpan<byte> key, out HostIdParameter hostId, out string? why)
    {
        why = null;
        if (packet.TryGet(out hostId, out var err))
        {
            return true;
        }

        if (err != WireError.MissingParameter)
        {
            why = $"HOST_ID: {err}";
            return false;
        }

        if (!TryDecryptParameters(packet, cipher, key, out var plain, out why))
        {
            return false;
        }

        if (!TryFindTlv(plain, ParameterType.HostId, out var contents))
        {
            why = "ENCRYPTED does not hold a HOST_ID";
            return false;
        }

        try
        {
            hostId = HostIdParameter.Read(contents.Span);
            return true;
        }
        catch (HipFormatException e)
        {
            why = $"encrypted HOST_ID: {e.Message}";
            return false;
        }
    }

    /// <summary>Decrypts the ENCRYPTED parameter (§5.2.18): the plaintext is a sequence of parameter TLVs.</summary>
    private static bool TryDecryptParameters(HipPacket packet, HipCipherId cipher, ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> plain, out string? why)
    {
        plain = default;
        if (!packet.TryGet<EncryptedParameter>(out var enc, out var err))
        {
            why = $"no ENCRYPTED parameter ({err})";
            return false;
        }

        int ivLen = HipCipher.IvLength(cipher);
        var data = enc.Payload.Span;
        if (data.Length < ivLen)
        {
            why = "ENCRYPTED shorter than its IV";
            return false;
        }

        var buf = new byte[data.Length];
        if (!HipCipher.TryDecrypt(cipher, key, data[..ivLen], data[ivLen..], buf, out int plainLen))
        {
            why = "ENCRYPTED does not decrypt";
            return false;
        }

        if (plainLen < HipParameterHeader.Size)
        {
            why = "ENCRYPTED holds no parameter";
            return false;
        }

        plain = buf.AsMemory(0, plainLen);
        why = null;
        return true;
    }

    /// <summary>Finds a TLV in decrypted ENCRYPTED contents; false on any length inconsistency.</summary>
    private static bool TryFindTlv(ReadOnlyMemory<byte> plain, ushort type, out ReadOnlyMemory<byte> contents)
    {
        contents = default;
        var s = plain.Span;
        int off = 0;
        while (off + HipParameterHeader.Size <= s.Length)
        {
            int t = (s[off] << 8) | s[off + 1];
            int len = (s[off + 2] << 8) | s[off + 3];
            int total = HipParameterHeader.TotalLength(len);
            if (off + HipParameterHeader.Size + len > s.Length)
            {
                return false;
            }

            if (t == type)
            {
                contents = plain.Slice(off + HipParameterHeader.Size, len);
                return true;
            }

            off += total;
        }

        return false;
    }
}
