using System.Net;
using Hipnat.Nat.Stun;

namespace Hipnat.Nat.Turn;

/// <summary>Request transactions: forming requests with long-term credentials and processing their responses.</summary>
public sealed partial class TurnClient
{
    // Long-term credential state (RFC 8489 §9.2), learnt from the server's 401 / 438.
    private string? _realm;
    private string? _nonce;
    private byte[]? _key;
    private StunPasswordAlgorithm _algorithm = StunPasswordAlgorithm.Md5;
    private byte[]? _passwordAlgorithmsValue;
    private bool _useUserHash;

    /// <summary>The realm the server challenged with, once known.</summary>
    public string? Realm => _realm;

    /// <summary>How many 438 (Stale Nonce) responses were answered with a retry so far.</summary>
    public int StaleNonceRetries { get; private set; }

    private StunTransactionId NewTransactionId()
    {
        StunTransactionId id;
        do
        {
            id = Options.TransactionIdFactory?.Invoke() ?? StunTransactionId.NewRandom();
        }
        while (_pending.ContainsKey(id));

        return id;
    }

    /// <summary>Sends <paramref name="request"/> as a new transaction with whatever credentials are known.</summary>
    private void Start(TurnRequest request, TimeSpan now)
    {
        var id = NewTransactionId();
        var writer = new StunMessageWriter(request.Method, StunClass.Request, id);
        switch (request.Kind)
        {
            case TurnRequestKind.Allocate:
                // RFC 8656 §7.1: REQUESTED-TRANSPORT is mandatory, UDP (17) here.
                writer.AddRequestedTransport(17);
                if (Options.RequestedAddressFamily is { } family)
                {
                    writer.AddRequestedAddressFamily(family);
                }

                if (Options.RequestedLifetime is { } hint)
                {
                    writer.AddLifetime(Seconds(hint));
                }

                break;

            case TurnRequestKind.Refresh:
                if (request.Lifetime is { } lifetime)
                {
                    writer.AddLifetime(Seconds(lifetime));
                }

                break;

            case TurnRequestKind.CreatePermission:
                // RFC 8656 §10.1: one XOR-PEER-ADDRESS per peer; the port is ignored.
                foreach (var peer in request.Peers)
                {
                    writer.AddXorPeerAddress(new IPEndPoint(peer, 0));
                }

                break;

            case TurnRequestKind.ChannelBind:
                writer.AddChannelNumber(request.Channel).AddXorPeerAddress(request.Peer!);
                break;
        }

        if (Options.Software is { } software && request.Kind is TurnRequestKind.Allocate or TurnRequestKind.Refresh)
        {
            writer.AddSoftware(software);
        }

        bool authenticated = _key is not null;
        if (authenticated)
        {
            AddCredentials(writer);
        }

        if (Options.UseFingerprint)
        {
            writer.AddFingerprint();
        }

        request.Id = id;
        request.Bytes = writer.ToArray();
        request.Timer = new StunRetransmission(Options.Retransmission, now);
        request.Authenticated = authenticated;
        request.DiscardedForIntegrity = false;
        _pending[id] = request;
        _transmits.Enqueue(new StunTransmit(Options.Server, request.Bytes));
    }

    /// <summary>
    /// RFC 8489 §9.2.3.2 / §9.2.5: USERNAME (or USERHASH when the nonce cookie announces username anonymity),
    /// REALM, NONCE, the server's PASSWORD-ALGORITHMS echoed with the chosen PASSWORD-ALGORITHM, and
    /// MESSAGE-INTEGRITY-SHA256 once the server offered algorithms, MESSAGE-INTEGRITY otherwise.
    /// </summary>
    private void AddCredentials(StunMessageWriter writer)
    {
        if (_useUserHash)
        {
            writer.AddUserHash(StunCredentials.UserHash(Options.Username, _realm!));
        }
        else
        {
            writer.AddUsername(Options.Username);
        }

        writer.AddRealm(_realm!).AddNonce(_nonce!);
        if (_passwordAlgorithmsValue is { } algorithms)
        {
            writer.AddPasswordAlgorithms(algorithms).AddPasswordAlgorithm(new StunPasswordAlgorithmEntry(_algorithm));
            writer.AddMessageIntegritySha256(_key!);
        }
        else
        {
            writer.AddMessageIntegrity(_key!);
        }
    }

    /// <summary>Takes REALM, NONCE and PASSWORD-ALGORITHMS from a 401/438 and derives the key (RFC 8489 §9.2.5).</summary>
    private TurnFailure? AdoptChallenge(StunMessage m)
    {
        var features = StunNonceCookie.TryParse(m.Nonce, out var announced) ? announced : StunSecurityFeatures.None;
        var algorithm = StunPasswordAlgorithm.Md5;
        if (m.PasswordAlgorithms is { } offered)
        {
            // The first algorithm on the list that the client supports.
            var supported = offered.Select(a => a.Algorithm).Where(StunCredentials.IsSupported).Take(1).ToList();
            if (supported.Count == 0)
            {
                return TurnFailure.UnsupportedPasswordAlgorithm;
            }

            algorithm = supported[0];
        }

        _realm = m.Realm ?? _realm;
        _nonce = m.Nonce;
        _useUserHash = (features & StunSecurityFeatures.UsernameAnonymity) != 0;
        _passwordAlgorithmsValue = m.PasswordAlgorithmsValue?.ToArray();
        _algorithm = algorithm;
        _key = StunCredentials.LongTermKey(Options.Username, _realm!, Options.Password, algorithm);
        return null;
    }

    private bool HandleResponse(StunMessage m, TimeSpan now)
    {
        if (m.Class is not (StunClass.SuccessResponse or StunClass.ErrorResponse)
            || !_pending.TryGetValue(m.TransactionId, out var request)
            || m.Method != request.Method)
        {
            return false;
        }

        if (m.Class == StunClass.ErrorResponse && m.ErrorCode is { Code: StunErrorCode.Unauthenticated or StunErrorCode.StaleNonce } challenge)
        {
            HandleChallenge(request, m, challenge, now);
            return true;
        }

        if (request.Authenticated && !ResponseAuthenticated(m))
        {
            // RFC 8489 §9.2.5: over UDP a response without a valid integrity attribute is discarded as if never
            // received (a 400 without one included); retransmissions continue.
            request.DiscardedForIntegrity = true;
            return true;
        }

        _pending.Remove(request.Id);
        if (m.UnknownComprehensionRequired.Count > 0)
        {
            // RFC 8489 §6.3.3-§6.3.4: the transaction failed.
            RequestFailed(request, TurnFailure.MalformedResponse, m.ErrorCode, now);
        }
        else if (m.Class == StunClass.SuccessResponse)
        {
            OnSuccess(request, m, now);
        }
        else if (m.ErrorCode is not { } error)
        {
            RequestFailed(request, TurnFailure.MalformedResponse, null, now);
        }
        else
        {
            var reason = error.Code switch
            {
                StunErrorCode.TryAlternate => TurnFailure.TryAlternate,
                StunErrorCode.AllocationMismatch => TurnFailure.AllocationMismatch,
                _ => TurnFailure.ErrorResponse,
            };
            RequestFailed(request, reason, error, now, m.AlternateServer);
        }

        return true;
    }

    /// <summary>401 and 438 handling of the long-term credential mechanism (RFC 8489 §9.2.5).</summary>
    private void HandleChallenge(TurnRequest request, StunMessage m, StunErrorCode error, TimeSpan now)
    {
        _pending.Remove(request.Id);

        // A nonce cookie announcing PASSWORD-ALGORITHMS without the attribute is a bid-down: MUST NOT retry.
        if (StunNonceCookie.TryParse(m.Nonce, out var features)
            && (features & StunSecurityFeatures.PasswordAlgorithms) != 0 && m.PasswordAlgorithms is null)
        {
            RequestFailed(request, TurnFailure.DowngradeDetected, error, now);
            return;
        }

        if (m.Nonce is null || (m.Realm is null && _realm is null))
        {
            RequestFailed(request, TurnFailure.MalformedResponse, error, now);
            return;
        }

        if (error.Code == StunErrorCode.Unauthenticated && request.Authenticated)
        {
            // The retry already carried credentials; the client MUST NOT retry without changing them.
            RequestFailed(request, TurnFailure.Unauthenticated, error, now);
            return;
        }

        if (error.Code == StunErrorCode.StaleNonce)
        {
            if (request.StaleNonceRetries >= Options.MaxStaleNonceRetries)
            {
                RequestFailed(request, TurnFailure.StaleNonce, error, now);
                return;
            }

            request.StaleNonceRetries++;
            StaleNonceRetries++;
        }

        if (AdoptChallenge(m) is { } failure)
        {
            RequestFailed(request, failure, error, now);
            return;
        }

        // A new transaction for the same request (RFC 8489 §9.2.5).
        Start(request, now);
    }

    /// <summary>
    /// The response to an authenticated request must carry MESSAGE-INTEGRITY-SHA256 (once the server offered
    /// PASSWORD-ALGORITHMS) or MESSAGE-INTEGRITY that verifies with the same key (RFC 8489 §9.2.4-§9.2.5).
    /// </summary>
    private bool ResponseAuthenticated(StunMessage m)
    {
        if (m.HasMessageIntegritySha256)
        {
            return m.VerifyMessageIntegritySha256(_key!) == StunError.None;
        }

        return _passwordAlgorithmsValue is null && m.HasMessageIntegrity && m.VerifyMessageIntegrity(_key!) == StunError.None;
    }

    private void OnSuccess(TurnRequest request, StunMessage m, TimeSpan now)
    {
        switch (request.Kind)
        {
            case TurnRequestKind.Allocate:
            {
                // RFC 8656 §7.3: keep the relayed and mapped addresses and the lifetime actually granted.
                if (m.XorRelayedAddresses.Count == 0 || m.XorMappedAddress is null)
                {
                    RequestFailed(request, TurnFailure.MalformedResponse, null, now);
                    return;
                }

                _relayed.Clear();
                _relayed.AddRange(m.XorRelayedAddresses);
                MappedAddress = m.XorMappedAddress;
                State = TurnClientState.Allocated;
                ScheduleRefresh(m, now);
                _events.Enqueue(new TurnAllocated(_relayed[0], MappedAddress, Lifetime) { RelayedAddresses = _relayed.ToArray() });
                return;
            }

            case TurnRequestKind.Refresh when request.IsDeallocation:
                Closed();
                return;

            case TurnRequestKind.Refresh:
                if (m.Lifetime == 0)
                {
                    Fail(TurnFailure.Expired, null);
                    return;
                }

                ScheduleRefresh(m, now);
                _events.Enqueue(new TurnRefreshed(Lifetime));
                return;

            case TurnRequestKind.CreatePermission:
                foreach (var peer in request.Peers)
                {
                    InstallPermission(peer, now);
                }

                _events.Enqueue(new TurnPermissionCreated(request.Peers));
                return;

            case TurnRequestKind.ChannelBind:
            {
                if (!_channels.TryGetValue(request.Channel, out var channel))
                {
                    return;
                }

                bool first = !channel.Bound;
                channel.Bound = true;
                channel.InFlight = false;
                channel.RefreshAt = now + Options.ChannelRefreshInterval;

                // RFC 8656 §12.2: a ChannelBind also installs or refreshes the peer's permission.
                InstallPermission(channel.Peer.Address, now);
                if (first)
                {
                    _events.Enqueue(new TurnChannelBound(channel.Number, channel.Peer));
                }

                return;
            }
        }
    }

    private void InstallPermission(IPAddress peer, TimeSpan now)
    {
        if (!_permissions.TryGetValue(peer, out var permission))
        {
            permission = new TurnPermission(peer);
            _permissions[peer] = permission;
        }

        permission.Active = true;
        permission.InFlight = false;
        permission.RefreshAt = now + Options.PermissionRefreshInterval;
    }

    /// <summary>Refresh roughly a minute before expiry (RFC 8656 §8), or half-way through a short lifetime.</summary>
    private void ScheduleRefresh(StunMessage m, TimeSpan now)
    {
        Lifetime = m.Lifetime is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultAllocationLifetime;
        _expiresAt = now + Lifetime;
        _refreshAt = Lifetime > Options.RefreshBeforeExpiry * 2
            ? now + Lifetime - Options.RefreshBeforeExpiry
            : now + (Lifetime / 2);
    }

    /// <summary>A request ended without success: what that means depends on the method (RFC 8656 §7.4, §8.3, §12.3).</summary>
    private void RequestFailed(TurnRequest request, TurnFailure reason, StunErrorCode? error, TimeSpan now, IPEndPoint? alternate = null)
    {
        switch (request.Kind)
        {
            case TurnRequestKind.Allocate:
                Fail(reason, error, alternate);
                return;

            case TurnRequestKind.Refresh when request.IsDeallocation:
                // RFC 8656 §8.3: 437 to a delete means the allocation is already gone: success.
                if (reason == TurnFailure.AllocationMismatch)
                {
                    Closed();
                }
                else
                {
                    Fail(reason, error);
                }

                return;

            case TurnRequestKind.Refresh:
                if (reason is TurnFailure.Timeout && now < _expiresAt && State == TurnClientState.Allocated)
                {
                    // Try once more while the allocation still lives.
                    Start(new TurnRequest(TurnRequestKind.Refresh) { Lifetime = request.Lifetime }, now);
                    return;
                }

                Fail(reason, error);
                return;
        }

        // RFC 8656 §5: 437 to any request but Allocate means the allocation no longer exists.
        if (reason == TurnFailure.AllocationMismatch)
        {
            Fail(reason, error);
            return;
        }

        if (request.Kind == TurnRequestKind.CreatePermission)
        {
            foreach (var peer in request.Peers)
            {
                _permissions.Remove(peer);
            }

            _events.Enqueue(new TurnPermissionFailed(request.Peers, error));
        }
        else
        {
            _channels.Remove(request.Channel);
            _channelByPeer.Remove(request.Peer!);
            _events.Enqueue(new TurnChannelBindFailed(request.Channel, request.Peer!, error));
        }
    }

    private void Fail(TurnFailure reason, StunErrorCode? error, IPEndPoint? alternate = null)
    {
        ResetAllocation();
        State = TurnClientState.Failed;
        _events.Enqueue(new TurnFailed(reason, error) { AlternateServer = alternate });
    }

    private void Closed()
    {
        ResetAllocation();
        State = TurnClientState.Closed;
        _events.Enqueue(new TurnDeallocated());
    }

    private static uint Seconds(TimeSpan value) => (uint)Math.Clamp(Math.Ceiling(value.TotalSeconds), 0, uint.MaxValue);
}
