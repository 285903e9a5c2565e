using System.Buffers.Binary;
using Hipnat.Core.Association;
using Hipnat.Core.Registration;
using Hipnat.Core.Transport;
using Hipnat.Wire;
using Hipnat.Wire.Packets;
using Hipnat.Wire.Parameters;

namespace Hipnat.Core.Host;

/// <summary>
/// Data relay (RFC 9028 §4.1, §4.12, §5.12-5.13): a RELAY_UDP_ESP registration gets a relayed UDP port of its
/// own (RELAYED_ADDRESS); the client installs PEER_PERMISSIONs by UPDATE; ESP from a permitted peer to the
/// relayed port goes to the client, and ESP from the client with a permitted outbound SPI leaves from the
/// relayed port towards that peer. One port per client keeps colliding SPIs apart (§4.12.3).
/// </summary>
public sealed partial class HipHost
{
    private readonly Dictionary<TransportAddress, ServerRegistration> _espClientsByAddress = [];
    private readonly Dictionary<ushort, ServerRegistration> _clientsByRelayedPort = [];
    private int _nextRelayPort;

    /// <summary>Client side: asks the data relay <paramref name="registrar"/> to forward ESP between us and
    /// <paramref name="peer"/> for the given SPIs (UPDATE with PEER_PERMISSION; refreshed before it lapses).</summary>
    public bool RequestPeerPermission(Hit registrar, TransportAddress peer, uint outboundSpi, uint inboundSpi, TimeSpan now)
    {
        if (!_associations.TryGetValue(registrar, out var a))
        {
            return false;
        }

        var reg = a.ClientRegistrations.Find(r => r.Type == RegistrationType.RelayUdpEsp && r.State == RegistrationState.Granted);
        if (reg is null)
        {
            return false;
        }

        // RFC 9028 §4.12.1: a permission per peer address; a multihomed peer gets one for each of its addresses
        // (at most four per SA pair, the oldest giving way). Naming an address again with another port moves where
        // the relay sends our ESP (the peer's NAT mapped it anew towards our relayed address).
        reg.Permissions.RemoveAll(p => p.Ospi == outboundSpi && (p.Peer.Address.Equals(peer.Address) || p.Ispi != inboundSpi));
        if (reg.Permissions.Count(p => p.Ospi == outboundSpi) >= PeerPermission.MaxAddresses)
        {
            reg.Permissions.Remove(reg.Permissions.First(p => p.Ospi == outboundSpi));
        }

        reg.Permissions.Add((peer, outboundSpi, inboundSpi, now + PermissionRefresh));
        UpdateRegistrationDeadline(a, now);
        if (a.PendingUpdateId is not null)
        {
            a.PermissionUpdateWanted = true; // sent when the outstanding UPDATE completes
            return true;
        }

        return StartUpdate(registrar, now, UpdateKind.Permission, null);
    }

    /// <summary>How long ESP from the peer outweighs the client's PEER_PERMISSION as to where the client's ESP goes.</summary>
    private static readonly TimeSpan PeerEspHold = TimeSpan.FromMilliseconds(250);

    /// <summary>Refresh one minute before the five-minute lifetime ends (RFC 9028 §4.12.1).</summary>
    private static readonly TimeSpan PermissionRefresh = TimeSpan.FromMinutes(4);

    private void AddPeerPermissions(ref HipPacketBuilder b, HostAssociation a)
    {
        var reg = a.ClientRegistrations.Find(r => r.Type == RegistrationType.RelayUdpEsp && r.State == RegistrationState.Granted);
        if (reg?.RelayedAddress is not { } relayed || reg.ReflexiveAddress is not { } reflexive)
        {
            return;
        }

        // RAddress/RPort: our server-reflexive candidate at the relay (§5.13).
        foreach (var (peer, ospi, ispi, _) in reg.Permissions)
        {
            b.Add(new PeerPermissionParameter(reflexive.Address, reflexive.Port, peer.Address, peer.Port, ospi, ispi));
        }

        _ = relayed;
    }

    /// <summary>Registrar: a RELAY_UDP_ESP grant opens a relayed port for the client.</summary>
    private TransportAddress? AllocateRelayedAddress(ServerRegistration reg, TransportAddress local, RegistrarOptions opts, TimeSpan now)
    {
        if (reg.RelayedAddress is { } existing)
        {
            return existing;
        }

        var address = opts.DataRelayAddress ?? local.Address;
        if (address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any))
        {
            DebugLog?.Invoke("RELAY_UDP_ESP needs a concrete relay address (set the registrar's data relay address)");
            return null;
        }

        int span = opts.DataRelayPortMax - opts.DataRelayPortMin + 1;
        for (int i = 0; i < span; i++)
        {
            ushort port = (ushort)(opts.DataRelayPortMin + ((_nextRelayPort + i) % span));
            if (!_clientsByRelayedPort.ContainsKey(port))
            {
                _nextRelayPort = (_nextRelayPort + i + 1) % span;
                var relayed = TransportAddress.Udp(address, port);
                reg.RelayedAddress = relayed;
                _clientsByRelayedPort[port] = reg;
                Raise(new RelayedPortChanged(now, reg.Client, relayed, Open: true));
                return relayed;
            }
        }

        return null;
    }

    private void ReleaseDataRelay(ServerRegistration reg, TimeSpan now)
    {
        if (_espClientsByAddress.TryGetValue(reg.ClientAddress, out var r) && ReferenceEquals(r, reg))
        {
            _espClientsByAddress.Remove(reg.ClientAddress);
        }

        if (reg.RelayedAddress is { } relayed)
        {
            _clientsByRelayedPort.Remove(relayed.Port);
            reg.RelayedAddress = null;
            Raise(new RelayedPortChanged(now, reg.Client, relayed, Open: false));
        }

        reg.ByInboundSpi.Clear();
        reg.ByOutboundSpi.Clear();
    }

    /// <summary>Registrar: installs or refreshes the PEER_PERMISSIONs of an authenticated UPDATE.</summary>
    private void ApplyPeerPermissions(HipPacket packet, HostAssociation a, TimeSpan now)
    {
        if (!packet.TryGetAll<PeerPermissionParameter>(out var perms, out _) || perms.Length == 0)
        {
            return;
        }

        if (_options.Registrar is not { } opts || !_registrations.TryGetValue(a.PeerHit, out var reg) || !reg.Has(RegistrationType.RelayUdpEsp, now))
        {
            Drop(DropReason.NoPermission, $"PEER_PERMISSION from {a.PeerHit}, which is not registered for RELAY_UDP_ESP");
            return;
        }

        foreach (var p in perms)
        {
            var peer = TransportAddress.Udp(p.PeerAddress.IsIPv4MappedToIPv6 ? p.PeerAddress.MapToIPv4() : p.PeerAddress, p.PeerPort);
            if (reg.ByOutboundSpi.TryGetValue(p.OutboundSpi, out var existing) && existing.InboundSpi == p.InboundSpi)
            {
                // Where the client's ESP goes: where the peer's ESP comes from while it comes (it passed the peer's NAT
                // towards the relayed port, so the way back does too); else the address and port the client named
                // last (the peer's NAT may map it anew towards the relayed port, and a peer that only answers sends
                // nothing until our ESP reaches it).
                bool peerSends = existing.PeerEspAt > TimeSpan.Zero && now - existing.PeerEspAt < PeerEspHold;
                if (existing.Peer.Address.Equals(peer.Address))
                {
                    if (!peerSends)
                    {
                        existing.Peer = peer;
                    }

                    existing.ExpiresAt = now + opts.PermissionLifetime; // identical (or the same address): refreshed
                }
                else if (existing.OtherPeers.ContainsKey(peer.Address) || existing.OtherPeers.Count < PeerPermission.MaxAddresses - 1)
                {
                    // RFC 9028 §4.12.1: another address of the same peer for the same SPIs is a permission of its own;
                    // the client's latest one is where its ESP goes, unless the peer's ESP is coming in from another.
                    if (peerSends)
                    {
                        existing.OtherPeers[peer.Address] = now + opts.PermissionLifetime;
                    }
                    else
                    {
                        existing.OtherPeers.Remove(peer.Address);
                        existing.OtherPeers[existing.Peer.Address] = existing.ExpiresAt;
                        existing.Peer = peer;
                        existing.ExpiresAt = now + opts.PermissionLifetime;
                    }
                }
                else
                {
                    Drop(DropReason.NoPermission, $"PEER_PERMISSION from {a.PeerHit} for {peer} refused (at most {PeerPermission.MaxAddresses} addresses per SPI)");
                }

                continue;
            }

            if (reg.ByOutboundSpi.Count >= opts.MaxPermissionsPerClient || p.OutboundSpi == 0 || p.InboundSpi == 0)
            {
                Drop(DropReason.NoPermission, $"PEER_PERMISSION from {a.PeerHit} refused (limit {opts.MaxPermissionsPerClient} or zero SPI)");
                continue;
            }

            var perm = new PeerPermission(peer, p.OutboundSpi, p.InboundSpi) { ExpiresAt = now + opts.PermissionLifetime };
            reg.ByOutboundSpi[p.OutboundSpi] = perm;
            reg.ByInboundSpi[p.InboundSpi] = perm;
        }
    }

    /// <summary>Registrar: forwards a UDP-encapsulated ESP packet if a permission covers it; else drops it.</summary>
    private void RelayEsp(TransportAddress local, TransportAddress remote, ReadOnlySpan<byte> payload, TimeSpan now)
    {
        uint spi = BinaryPrimitives.ReadUInt32BigEndian(payload);

        // From a peer to a client's relayed port: the client's inbound SPI.
        if (_clientsByRelayedPort.TryGetValue(local.Port, out var reg) && reg.RelayedAddress is { } relayed
            && (local.Address.Equals(relayed.Address) || local.Address.Equals(System.Net.IPAddress.Any) || local.Address.Equals(System.Net.IPAddress.IPv6Any)))
        {
            if (reg.ByInboundSpi.TryGetValue(spi, out var perm) && perm.Permits(remote.Address, now))
            {
                if (!perm.Peer.Address.Equals(remote.Address))
                {
                    // The peer sends from another of its permitted addresses: that is where its ESP goes from now on.
                    perm.OtherPeers.Remove(remote.Address);
                    perm.OtherPeers[perm.Peer.Address] = perm.ExpiresAt;
                    perm.ExpiresAt = perm.ExpiresAt > now ? perm.ExpiresAt : now + TimeSpan.FromMinutes(5);
                }

                perm.Peer = remote;
                perm.PeerEspAt = now;
                perm.PacketsToClient++;
                perm.Bytes += payload.Length;
                ForwardRaw(reg.LocalAddress, reg.ClientAddress, payload);
                return;
            }

            Drop(DropReason.NoPermission, $"ESP SPI {spi:x8} from {remote} to {relayed}: no permission");
            return;
        }

        // From a client (at its registered address) out through its relayed port: its outbound SPI.
        if (_espClientsByAddress.TryGetValue(remote, out reg) && reg.RelayedAddress is { } from)
        {
            if (reg.ByOutboundSpi.TryGetValue(spi, out var perm) && perm.ExpiresAt > now)
            {
                perm.PacketsToPeer++;
                perm.Bytes += payload.Length;
                ForwardRaw(from, perm.Peer, payload);
                return;
            }

            Drop(DropReason.NoPermission, $"ESP SPI {spi:x8} from client {reg.Client}: no permission");
            return;
        }

        Drop(DropReason.NoPermission, $"ESP from {remote} to {local}: not a data-relay client or relayed port");
    }

    private void ForwardRaw(TransportAddress from, TransportAddress to, ReadOnlySpan<byte> payload)
    {
        var buf = PacketBuffers.Rent(payload.Length);
        payload.CopyTo(buf);
        Counters.PacketsOut++;
        Counters.EspRelayed++;
        Counters.EspRelayedBytes += payload.Length;
        _transmits.Enqueue(new Transmit(from, to, buf, payload.Length));
    }
}
