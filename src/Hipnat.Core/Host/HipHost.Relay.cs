using System.Buffers.Binary;
using Hipnat.Core.Association;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Crypto;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>
/// Control relay and rendezvous (RFC 9028 §4.5, §5.6-5.8; RFC 8004 §3-4): the server forwards control packets
/// for registered clients with RELAY_FROM + RELAY_HMAC (or FROM + RVS_HMAC), and forwards their answers to the
/// address in RELAY_TO; a client verifies the server's HMAC and answers through it.
/// </summary>
public sealed partial class HipHost
{
    /// <summary>Server side: forwards a packet not addressed to us, if a registration allows it.</summary>
    private bool TryRelay(HipPacket packet, ReadOnlySpan<byte> hip, TransportAddress local, TransportAddress remote, TimeSpan now)
    {
        if (_options.Registrar is not { } opts || remote.Kind != TransportKind.Udp)
        {
            return false;
        }

        var sender = packet.Header.SenderHit;
        var receiver = packet.Header.ReceiverHit;

        // A registered client answers through us: forward to RELAY_TO unchanged (§4.5 steps 4 and 8).
        if (packet.TryGet<RelayToParameter>(out var to) && _registrations.TryGetValue(sender, out var client)
            && (client.Has(RegistrationType.RelayUdpHip, now) || client.Has(RegistrationType.RelayUdpEsp, now)))
        {
            if (client.ClientAddress != remote)
            {
                Drop(DropReason.NotForUs, $"RELAY_TO from {remote}, not the address {client.ClientAddress} {sender} registered from");
                return true;
            }

            if (packet.Type is HipPacketType.R1 or HipPacketType.I2 && !packet.Has(ParameterType.NatTraversalMode))
            {
                // §4.5: R1 and I2 through a relay carry NAT_TRAVERSAL_MODE.
                Drop(DropReason.UnsupportedParameters, $"relayed {packet.Type} from {sender} without NAT_TRAVERSAL_MODE");
                return true;
            }

            if (!TakeControlToken(client, opts, now))
            {
                Drop(DropReason.RelayRateLimited, $"{packet.Type} from client {sender} over {opts.RelayedControlPerSecond}/s relayed control packets");
                return true;
            }

            var dest = TransportAddress.Udp(to.Address.IsIPv4MappedToIPv6 ? to.Address.MapToIPv4() : to.Address, to.Port);

            // §4.12.2: a peer that reached the client through its relayed address is answered from that address.
            // So are the client's connectivity checks (and answers) on its relayed candidate to a peer it has let in
            // with a PEER_PERMISSION; its base exchange and other packets keep leaving from the relay's own port.
            bool check = packet.Type == HipPacketType.Update && (packet.Has(ParameterType.CandidatePriority) || packet.Has(ParameterType.MappedAddress));
            var source = client.RelayedAddress is { } relayedSource && (client.PeersAtRelayedPort.Contains(dest) || (check && HasPermissionFor(client, dest, now)))
                ? relayedSource
                : client.LocalAddress;
            if (source == client.LocalAddress && !client.Has(RegistrationType.RelayUdpHip, now))
            {
                Drop(DropReason.NoPermission, $"RELAY_TO {dest} from {sender}, registered for the data relay only, to a peer not seen at its relayed address");
                return true;
            }

            EmitCopy(source, dest, hip);
            client.RelayedPackets++;
            client.RelayedBytes += hip.Length;
            Counters.Relayed++;
            return true;
        }

        if (!_registrations.TryGetValue(receiver, out var target) || !_associations.TryGetValue(receiver, out var ta)
            || ta.State is not (AssociationState.Established or AssociationState.R2Sent))
        {
            return false; // never forward for an unregistered HIT (§4.5 step 2)
        }

        // Control packets arriving at a client's relayed port are relayed like RELAY_UDP_HIP (§4.12.2).
        bool relay = target.Has(RegistrationType.RelayUdpHip, now)
            || (target.RelayedAddress is { } ra && ra.Port == local.Port && target.Has(RegistrationType.RelayUdpEsp, now));
        bool rendezvous = !relay && packet.Type == HipPacketType.I1 && target.Has(RegistrationType.Rendezvous, now);
        if (!relay && !rendezvous)
        {
            return false;
        }

        // An I1 from a registered client of ours, from the address it registered from (and so answered from), spends
        // that client's own I1 bucket: a flood of I1s towards the target from other (spoofed) sources does not keep
        // the relay's clients from reaching it (RFC 8004 §3.2 leaves the forwarding policy to the server).
        var i1Bucket = packet.Type == HipPacketType.I1 && _registrations.TryGetValue(sender, out var fromClient) && fromClient.ClientAddress == remote
            ? fromClient : target;
        if (packet.Type == HipPacketType.I1 && !TakeRelayToken(i1Bucket, opts, now))
        {
            Drop(DropReason.RateLimited, ReferenceEquals(i1Bucket, target)
                ? $"I1 flood towards {receiver}: over {opts.RelayedI1PerSecond}/s, dropped"
                : $"I1s from client {sender}: over {opts.RelayedI1PerSecond}/s, dropped");
            return true;
        }

        if (packet.Type == HipPacketType.I2 && !packet.Has(ParameterType.NatTraversalMode))
        {
            Drop(DropReason.UnsupportedParameters, $"relayed I2 from {sender} without NAT_TRAVERSAL_MODE");
            return true;
        }

        // RFC 9028 §4.5 leaves forwarding policy to the relay: every relayed type counts against the client's
        // bucket, so a flood towards one client (UPDATE, I2, NOTIFY, ...) cannot take the relay from the others.
        if (!TakeControlToken(target, opts, now))
        {
            Drop(DropReason.RelayRateLimited, $"{packet.Type} towards client {receiver} over {opts.RelayedControlPerSecond}/s relayed control packets");
            return true;
        }

        if (relay && target.RelayedAddress is { } atRelayed && atRelayed.Port == local.Port && target.PeersAtRelayedPort.Count < 256)
        {
            target.PeersAtRelayedPort.Add(remote);
        }

        ushort fromType = relay ? ParameterType.RelayFrom : ParameterType.From;
        if (LastParameterType(packet) > fromType)
        {
            Drop(DropReason.Malformed, $"{packet.Type} towards {receiver} already carries parameters after {ParameterType.Name(fromType)}");
            return true;
        }

        var buf = RentPacketBuffer();
        var outPkt = buf.AsSpan(UdpMarkerLength);
        hip[..packet.Header.PacketLength].CopyTo(outPkt);
        int len = packet.Header.PacketLength;
        len = relay
            ? AppendParameter(outPkt, len, new RelayFromParameter(remote.Address, remote.Port))
            : AppendParameter(outPkt, len, new FromParameter(remote.Address));

        // RELAY_HMAC / RVS_HMAC: HIP_MAC semantics over the packet so far, keyed with our integrity key towards
        // the client (RFC 8004 §4.2.1; RFC 9028 §5.8).
        HipHeader.PatchLength(outPkt, len);
        HipHeader.PatchChecksum(outPkt, 0);
        Span<byte> mac = stackalloc byte[64];
        int macLen = ta.Suite.HmacLength();
        HipMac.Compute(ta.Suite, ta.OurIntegrityKey, outPkt[..len], mac[..macLen]);
        len = AppendRaw(outPkt, len, relay ? ParameterType.RelayHmac : ParameterType.RvsHmac, mac[..macLen]);
        Emit(target.LocalAddress, target.ClientAddress, buf, len);
        if (packet.Type != HipPacketType.Update || !packet.Has(ParameterType.CandidatePriority))
        {
            DebugLog?.Invoke($"relayed {packet.Type} of {sender} from {remote} to {receiver} at {target.ClientAddress}");
        }

        target.RelayedPackets++;
        target.RelayedBytes += len;
        Counters.Relayed++;
        return true;
    }

    private static bool HasPermissionFor(ServerRegistration client, TransportAddress dest, TimeSpan now)
    {
        foreach (var p in client.ByOutboundSpi.Values)
        {
            if (p.Permits(dest.Address, now))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Client side: checks RELAY_HMAC / RVS_HMAC of a packet forwarded by one of our registrars.</summary>
    private bool TryVerifyRelayed(HipPacket packet, TransportAddress remote, out RelayedVia via, out string why)
    {
        via = default;
        bool relay = packet.TryGet<RelayFromParameter>(out var relayFrom);
        bool rvs = !relay && packet.TryGet<FromParameter>(out _);
        ushort macType = relay ? ParameterType.RelayHmac : ParameterType.RvsHmac;
        HostAssociation? server = null;
        foreach (var a in _associations.Values)
        {
            if (a.ActivePair?.Peer == remote && a.ClientRegistrations.Exists(r => r.State == RegistrationState.Granted
                && r.Type is RegistrationType.RelayUdpHip or RegistrationType.Rendezvous or RegistrationType.RelayUdpEsp))
            {
                server = a;
                break;
            }
        }

        if (server is null)
        {
            why = $"{ParameterType.Name(relay ? ParameterType.RelayFrom : ParameterType.From)} from {remote}, which is not a registrar of ours";
            return false;
        }

        if (!VerifyMac(packet, macType, server.Suite, server.PeerIntegrityKey))
        {
            why = $"{ParameterType.Name(macType)} from {remote} does not verify";
            return false;
        }

        if (relay)
        {
            var ip = relayFrom.Address.IsIPv4MappedToIPv6 ? relayFrom.Address.MapToIPv4() : relayFrom.Address;
            via = new RelayedVia(TransportAddress.Udp(ip, relayFrom.Port), remote, Rendezvous: false);
        }
        else
        {
            packet.TryGet<FromParameter>(out var from);
            var ip = from.Address.IsIPv4MappedToIPv6 ? from.Address.MapToIPv4() : from.Address;
            via = new RelayedVia(new TransportAddress(ip, remote.Kind == TransportKind.Udp ? TransportAddress.DefaultHipPort : (ushort)0, remote.Kind), remote, Rendezvous: true);
        }

        why = string.Empty;
        _ = rvs;
        return true;
    }

    private static bool TakeRelayToken(ServerRegistration reg, RegistrarOptions opts, TimeSpan now) =>
        reg.RelayedI1Tokens.TryTake(opts.RelayedI1Burst, opts.RelayedI1PerSecond, now);

    private static bool TakeControlToken(ServerRegistration reg, RegistrarOptions opts, TimeSpan now) =>
        reg.ControlTokens.TryTake(opts.RelayedControlBurst, opts.RelayedControlPerSecond, now);

    private static int LastParameterType(HipPacket packet)
    {
        int last = 0;
        foreach (var p in packet.Parameters)
        {
            last = p.Type;
        }

        return last;
    }

    /// <summary>Appends a TLV to a finished packet (after its signature) and fixes Header Length.</summary>
    internal static int AppendParameter<T>(Span<byte> packet, int length, in T parameter)
        where T : struct, IHipParameter<T>
    {
        int contentLen = parameter.GetContentLength();
        int total = HipParameterHeader.TotalLength(contentLen);
        BinaryPrimitives.WriteUInt16BigEndian(packet[length..], T.Type);
        BinaryPrimitives.WriteUInt16BigEndian(packet[(length + 2)..], (ushort)contentLen);
        packet.Slice(length + HipParameterHeader.Size, total - HipParameterHeader.Size).Clear();
        parameter.WriteContents(packet.Slice(length + HipParameterHeader.Size, contentLen));
        HipHeader.PatchLength(packet, length + total);
        return length + total;
    }

    internal static int AppendRaw(Span<byte> packet, int length, ushort type, ReadOnlySpan<byte> contents)
    {
        int total = HipParameterHeader.TotalLength(contents.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet[length..], type);
        BinaryPrimitives.WriteUInt16BigEndian(packet[(length + 2)..], (ushort)contents.Length);
        packet.Slice(length + HipParameterHeader.Size, total - HipParameterHeader.Size).Clear();
        contents.CopyTo(packet[(length + HipParameterHeader.Size)..]);
        HipHeader.PatchLength(packet, length + total);
        return length + total;
    }

    /// <summary>Adds RELAY_TO (§4.5) or VIA_RVS (RFC 8004 §4.2.3) after the signature of an answer.</summary>
    private static int AppendAfterSignature(Span<byte> packet, int length, RelayedVia via) => via.Rendezvous
        ? AppendParameter(packet, length, new ViaRvsParameter(via.Server.Address))
        : AppendParameter(packet, length, new RelayToParameter(via.From.Address, via.From.Port));

    /// <summary>Adds RELAY_TO when the pair reaches the peer through a control relay.</summary>
    private static void AddRelayTo(ref HipPacketBuilder b, LocatorPair pair)
    {
        if (pair.RelayedTo is { } r)
        {
            b.Add(new RelayToParameter(r.Address, r.Port));
        }
    }

    /// <summary>Our locators for LOCATOR_SET in I2/R2 (RFC 9028 §5.7 transport locators): the ICE candidates we
    /// offer (host, server-reflexive, relayed) with their priorities; the first host candidate is preferred.</summary>
    private void AddOurLocators(ref HipPacketBuilder b, HostAssociation a)
    {
        if (OurLocatorSet(a) is { } set)
        {
            b.Add(set);
        }
    }

    private LocatorSetParameter? OurLocatorSet(HostAssociation a)
    {
        var list = new List<Locator>();
        uint spi = a.PendingInboundSpi != 0 ? a.PendingInboundSpi : (a.SaPairs.Count > 0 ? a.SaPairs[0].InboundSpi : 0);
        foreach (var c in OfferedCandidates())
        {
            if (c.Type == CandidateKind.Relayed && a.NatMode == NatTraversalMode.IceStunUdp)
            {
                continue; // a HIP data relay does not forward STUN checks
            }

            list.Add(Locator.ForTransportAddress(c.Address.Address, c.Address.Port, c.Type, c.Priority, spi, LocatorLifetime, preferred: list.Count == 0 && c.Type == CandidateKind.Host));
        }

        return list.Count > 0 ? new LocatorSetParameter(list.ToArray()) : null;
    }
}
