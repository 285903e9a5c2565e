using System.Net;
using Hipnat.Core.Association;
using Hipnat.Core.Ice;
using Hipnat.Core.Transport;
using Hipnat.Nat.Stun;
using Hipnat.Wire;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>
/// ICE-STUN-UDP (RFC 5770 §4.6, §5.2-5.3): the same checklist as ICE-HIP-UDP, but each check is a STUN Binding
/// request with short-term credentials from the HITs (USERNAME) and KEYMAT (password), PRIORITY, ICE-CONTROLLING
/// or ICE-CONTROLLED, USE-CANDIDATE for nomination, MESSAGE-INTEGRITY and FINGERPRINT; keepalives are STUN Binding
/// Indications. Data relays only forward HIP and ESP, so relayed candidates are not checked in this mode.
/// </summary>
public sealed partial class HipHost
{
    private readonly Dictionary<string, HostAssociation> _stunUsernames = new(StringComparer.Ordinal);
    private readonly Dictionary<StunTransactionId, HostAssociation> _stunChecks = [];

    /// <summary>RFC 5770 §5.2: the 128-bit STUN key is drawn after the HIP keys and the first ESP keys.</summary>
    private byte[] DrawStunKey(HostAssociation a)
    {
        if (a.Keymat is not { } keymat || a.SaPairs.Count == 0)
        {
            return new byte[HipStunCredentials.KeyLength];
        }

        int index = a.SaPairs[0].KeymatIndex;
        if (a.EspSuite != 0 && EspKeyLengths.TryGet(a.EspSuite, out int enc, out int auth, _options.EspGcmKeyBits))
        {
            index += 2 * (enc + auth);
        }

        keymat.Index = index;
        var draw = keymat.Draw(HipStunCredentials.KeyLength);
        if (a.KeymatIndex < keymat.Index)
        {
            a.KeymatIndex = (ushort)keymat.Index;
        }

        _stunUsernames[HipStunCredentials.ExpectedUsername(LocalHit, a.PeerHit)] = a;
        return HipStunCredentials.ShortTermKey(draw);
    }

    /// <summary>One check as a STUN Binding request (RFC 5770 §5.2); a retransmission reuses the transaction ID.</summary>
    private void SendStunCheck(HostAssociation a, IceAgent ice, CandidatePair pair, bool nominate, bool fresh, TimeSpan now)
    {
        if (fresh)
        {
            var tid = new StunTransactionId(((ulong)_random.NextUInt32() << 32) | _random.NextUInt32(), _random.NextUInt32() | 1);
            var nonce = tid.ToArray();
            ice.AddTransaction(pair, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(nonce.AsSpan(8)), nonce, nominate);
            _stunChecks[tid] = a;
            TrimStunChecks();
        }

        var w = new StunMessageWriter(StunMethod.Binding, StunClass.Request, new StunTransactionId(pair.Nonce));
        w.AddUsername(HipStunCredentials.RequestUsername(LocalHit, a.PeerHit));
        w.AddPriority(IcePriority.Compute(CandidateKind.PeerReflexive, (ushort)((pair.Local.Priority >> 8) & 0xFFFF)));
        if (ice.CheckList.Controlling)
        {
            w.AddIceControlling(ice.TieBreaker);
        }
        else
        {
            w.AddIceControlled(ice.TieBreaker);
        }

        if (nominate)
        {
            w.AddUseCandidate();
        }

        w.AddMessageIntegrity(ice.StunKey!);
        w.AddFingerprint();
        EmitStun(pair.Local.Base, pair.Remote.Address, w);
        a.LastSent = now;
        Counters.IceChecksSent++;
    }

    /// <summary>An association ended: its ICE-STUN-UDP credentials and check transactions go with it (RFC 5770
    /// §5.2: the password is drawn from its KEYMAT, so nothing can be checked or answered for it any more).</summary>
    private void ForgetStunChecks(HostAssociation a)
    {
        var user = HipStunCredentials.ExpectedUsername(LocalHit, a.PeerHit);
        if (_stunUsernames.TryGetValue(user, out var owner) && ReferenceEquals(owner, a))
        {
            _stunUsernames.Remove(user);
        }

        if (_stunChecks.Count > 0)
        {
            List<StunTransactionId>? ended = null;
            foreach (var (tid, check) in _stunChecks)
            {
                if (ReferenceEquals(check, a))
                {
                    (ended ??= []).Add(tid);
                }
            }

            foreach (var tid in ended ?? [])
            {
                _stunChecks.Remove(tid);
            }
        }
    }

    private void TrimStunChecks()
    {
        if (_stunChecks.Count > 4096)
        {
            foreach (var k in _stunChecks.Keys.Take(_stunChecks.Count - 4096).ToList())
            {
                _stunChecks.Remove(k);
            }
        }
    }

    private void EmitStun(TransportAddress from, TransportAddress to, StunMessageWriter w)
    {
        var buf = PacketBuffers.Rent(w.Length);
        w.ToArray().CopyTo(buf, 0);
        Counters.PacketsOut++;
        _transmits.Enqueue(new Transmit(from, to, buf, w.Length));
    }

    /// <summary>A STUN message on the HIP port: a check or check answer of an ICE-STUN-UDP association, or a
    /// keepalive indication. Returns false when it is none of these (the driver or the STUN service takes it).</summary>
    private bool TryHandleStunCheck(TransportAddress local, TransportAddress remote, ReadOnlySpan<byte> payload, TimeSpan now)
    {
        if (_stunUsernames.Count == 0)
        {
            return false;
        }

        if (StunMessage.TryParse(payload, out var msg) != StunError.None || msg is null || msg.Method != StunMethod.Binding)
        {
            return false;
        }

        if (msg.Class == StunClass.Indication)
        {
            // RFC 5770 §5.3 keepalive. It carries no credentials, so it only counts as a sign of life of an
            // ICE-STUN-UDP association whose active pair it arrived on (same addresses both ends).
            Counters.StunKeepalivesReceived++;
            foreach (var k in _associations.Values)
            {
                if (k.NatMode == NatTraversalMode.IceStunUdp && k.State == AssociationState.Established
                    && k.ActivePair is { IsRelayed: false } p && p.Peer == remote && Ice.IceCheckList.SameLocal(p.Local, local))
                {
                    k.LastSeen = now;
                    p.LastReceived = now;
                    ScheduleTimer(k);
                }
            }

            return true;
        }

        if (msg.Class == StunClass.Request && msg.Username is { } user && _stunUsernames.TryGetValue(user, out var a))
        {
            if (!_associations.TryGetValue(a.PeerHit, out var cur) || !ReferenceEquals(cur, a) || a.Ice is not { StunKey: { } key } ice)
            {
                _stunUsernames.Remove(user);
                return false;
            }

            if (msg.VerifyMessageIntegrity(key) != StunError.None)
            {
                Drop(DropReason.BadMac, $"STUN check from {remote} for {a.PeerHit}: MESSAGE-INTEGRITY does not verify");
                return true;
            }

            if (msg.Priority is not uint prio)
            {
                Drop(DropReason.Malformed, $"STUN check from {remote} for {a.PeerHit} without PRIORITY (RFC 5770 §5.2)");
                return true;
            }

            AnswerStunCheck(a, ice, msg, prio, local, remote, now);
            ScheduleIce(a, now);
            ScheduleTimer(a);
            return true;
        }

        if (msg.Class is StunClass.SuccessResponse or StunClass.ErrorResponse && _stunChecks.TryGetValue(msg.TransactionId, out var owner))
        {
            _stunChecks.Remove(msg.TransactionId);
            if (owner.Ice is not { StunKey: { } key } ice || !_associations.TryGetValue(owner.PeerHit, out var cur) || !ReferenceEquals(cur, owner))
            {
                return true;
            }

            uint low = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(msg.TransactionId.ToArray().AsSpan(8));
            if (!ice.TryGetTransaction(low, out var tx) || !tx.Nonce.AsSpan().SequenceEqual(msg.TransactionId.ToArray())
                || msg.VerifyMessageIntegrity(key) != StunError.None)
            {
                Drop(DropReason.BadMac, $"STUN answer from {remote}: unknown check or MESSAGE-INTEGRITY does not verify");
                return true;
            }

            var pair = tx.Pair;

            if (remote != pair.Remote.Address || !IceCheckList.SameLocal(pair.Local.Base, local) || msg.Class != StunClass.SuccessResponse)
            {
                Counters.Drop(DropReason.CheckMismatch);
                DebugLog?.Invoke($"drop {DropReason.CheckMismatch}: STUN answer from {remote} to {local} for pair {pair}");
                return true;
            }

            owner.LastSeen = now;
            TransportAddress? mapped = msg.XorMappedAddress is { } x ? TransportAddress.Udp(x.Address.IsIPv4MappedToIPv6 ? x.Address.MapToIPv4() : x.Address, (ushort)x.Port) : null;
            ice.CheckAnswered(low, now, mapped);
            ice.MaybeNominate(now);
            ScheduleIce(owner, now);
            ScheduleTimer(owner);
            return true;
        }

        return false;
    }

    private void AnswerStunCheck(HostAssociation a, IceAgent ice, StunMessage msg, uint prio, TransportAddress local, TransportAddress remote, TimeSpan now)
    {
        if (!TakeCheckToken(a, ice, now, msg.UseCandidate, remote))
        {
            return;
        }

        a.LastSeen = now;
        var w = StunMessageWriter.ResponseTo(msg, StunClass.SuccessResponse);
        w.AddXorMappedAddress(new IPEndPoint(remote.Address, remote.Port));
        w.AddMessageIntegrity(ice.StunKey!);
        w.AddFingerprint();
        EmitStun(local, remote, w);
        a.LastSent = now;

        if (ice.CheckList.FindLocal(local) is not { } lc)
        {
            return;
        }

        if (ice.PairForCheck(lc.Address, remote, prio, out bool refused) is not { } pair)
        {
            if (refused)
            {
                Counters.IceCandidatesDropped++;
            }

            return;
        }

        ice.CheckReceived(pair, msg.UseCandidate, now);
    }

    /// <summary>RFC 5770 §5.3: keepalive of an ICE-STUN-UDP association, a Binding Indication with FINGERPRINT only.</summary>
    private void SendStunKeepalive(TransportAddress local, TransportAddress remote)
    {
        var tid = new StunTransactionId(((ulong)_random.NextUInt32() << 32) | _random.NextUInt32(), _random.NextUInt32());
        var w = new StunMessageWriter(StunMethod.Binding, StunClass.Indication, tid);
        w.AddFingerprint();
        EmitStun(local, remote, w);
    }
}
