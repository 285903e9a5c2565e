using System.Net;

namespace Hipnat.Nat.Stun;

/// <summary>
/// Sans-IO STUN Binding client (RFC 8489 §6): any number of concurrent transactions, to one or many servers,
/// each retransmitted on the RFC 8489 §6.2.1 schedule. Feed it received datagrams and timer ticks with the
/// current time; collect datagrams with <see cref="TryPollTransmit"/> and finished transactions with
/// <see cref="TryPollResult"/>. It never reads a clock, touches a socket or starts a thread.
/// </summary>
public sealed class StunBindingClient
{
    private readonly Dictionary<StunTransactionId, Pending> _pending = [];
    private readonly Dictionary<IPAddress, StunRtoEstimator> _rto = [];
    private readonly Queue<StunTransmit> _transmits = new();
    private readonly Queue<StunBindingResult> _results = new();

    public StunBindingClient(StunBindingClientOptions? options = null)
    {
        Options = options ?? new StunBindingClientOptions();
    }

    public StunBindingClientOptions Options { get; }

    /// <summary>Transactions still waiting for a response.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>The earliest retransmission or failure deadline, or null when idle.</summary>
    public TimeSpan? NextTimeout
    {
        get
        {
            TimeSpan? next = null;
            foreach (var p in _pending.Values)
            {
                if (next is null || p.Timer.Deadline < next)
                {
                    next = p.Timer.Deadline;
                }
            }

            return next;
        }
    }

    /// <summary>Starts a Binding transaction to <paramref name="server"/>; the first request is queued at once.</summary>
    public StunTransactionId Start(IPEndPoint server, TimeSpan now, StunBindingRequest? request = null)
    {
        StunTransactionId id;
        do
        {
            id = Options.TransactionIdFactory?.Invoke() ?? StunTransactionId.NewRandom();
        }
        while (_pending.ContainsKey(id));

        var writer = new StunMessageWriter(StunMethod.Binding, StunClass.Request, id);
        if (Options.Software is { } software)
        {
            writer.AddSoftware(software);
        }

        if (request is not null)
        {
            if (request.Priority is { } priority)
            {
                writer.AddPriority(priority);
            }

            if (request.UseCandidate)
            {
                writer.AddUseCandidate();
            }

            if (request.IceControlling is { } controlling)
            {
                writer.AddIceControlling(controlling);
            }

            if (request.IceControlled is { } controlled)
            {
                writer.AddIceControlled(controlled);
            }

            if (request.ShortTermKey is { } key)
            {
                // RFC 8489 §9.1.2: USERNAME plus the integrity attribute(s), MESSAGE-INTEGRITY first (§14.6).
                if (request.Username is { } username)
                {
                    writer.AddUsername(username);
                }

                if ((request.Integrity & StunIntegrityAlgorithms.Sha1) != 0)
                {
                    writer.AddMessageIntegrity(key);
                }

                if ((request.Integrity & StunIntegrityAlgorithms.Sha256) != 0)
                {
                    writer.AddMessageIntegritySha256(key);
                }
            }
        }

        if (Options.UseFingerprint)
        {
            writer.AddFingerprint();
        }

        var bytes = writer.ToArray();
        var rto = Options.CacheRto ? Estimator(server.Address).Current(now) : Options.Retransmission.InitialRto;
        _pending[id] = new Pending(id, server, bytes, request, new StunRetransmission(Options.Retransmission, now, rto));
        _transmits.Enqueue(new StunTransmit(server, bytes));
        return id;
    }

    /// <summary>Forgets a transaction without a result.</summary>
    public bool Cancel(StunTransactionId id) => _pending.Remove(id);

    /// <summary>
    /// Offers a received datagram. Returns true when it was a response to one of this client's transactions
    /// (consumed, whether or not it ended the transaction); false leaves it for other protocols on the port.
    /// Never throws on malformed input.
    /// </summary>
    public bool HandleDatagram(IPEndPoint from, ReadOnlySpan<byte> datagram, TimeSpan now)
    {
        if (StunMessage.TryParse(datagram, out var message) != StunError.None
            || message!.Class is not (StunClass.SuccessResponse or StunClass.ErrorResponse)
            || message.Method != StunMethod.Binding
            || !_pending.TryGetValue(message.TransactionId, out var pending))
        {
            // RFC 8489 §6.3: anything else is discarded (or is not STUN at all).
            return false;
        }

        if (!SameEndPoint(from, pending.Server))
        {
            return false;
        }

        if (pending.Request?.ShortTermKey is { } key && !ResponseAuthenticated(message, pending.Request, key))
        {
            // RFC 8489 §9.1.4: over UDP an unauthenticated response is discarded and retransmits continue.
            pending.DiscardedForIntegrity = true;
            return true;
        }

        _pending.Remove(pending.Id);
        var elapsed = now - pending.Timer.FirstSent;
        if (pending.Timer.Transmissions == 1 && Options.CacheRto)
        {
            // Karn's algorithm (RFC 8489 §6.2.1): only unretransmitted transactions give RTT samples.
            Estimator(pending.Server.Address).AddSample(elapsed, now);
        }

        _results.Enqueue(Conclude(pending, message, elapsed));
        return true;
    }

    /// <summary>Runs every timer due at <paramref name="now"/>: retransmissions and transaction failures.</summary>
    public void HandleTimeout(TimeSpan now)
    {
        List<Pending>? finished = null;
        foreach (var p in _pending.Values)
        {
            switch (p.Timer.OnTimeout(now))
            {
                case StunRetransmissionAction.Retransmit:
                    _transmits.Enqueue(new StunTransmit(p.Server, p.Bytes));
                    break;
                case StunRetransmissionAction.TimedOut:
                    (finished ??= []).Add(p);
                    break;
            }
        }

        if (finished is null)
        {
            return;
        }

        foreach (var p in finished)
        {
            _pending.Remove(p.Id);
            // RFC 8489 §9.1.4: if every response was discarded for integrity, say so instead of a timeout.
            var outcome = p.DiscardedForIntegrity ? StunBindingOutcome.IntegrityViolation : StunBindingOutcome.Timeout;
            _results.Enqueue(new StunBindingResult(p.Id, p.Server, outcome, null, null, now - p.Timer.FirstSent, p.Timer.Transmissions));
        }
    }

    public bool TryPollTransmit(out StunTransmit transmit) => _transmits.TryDequeue(out transmit);

    public bool TryPollResult(out StunBindingResult result) => _results.TryDequeue(out result!);

    private StunRtoEstimator Estimator(IPAddress server)
    {
        if (!_rto.TryGetValue(server, out var estimator))
        {
            estimator = new StunRtoEstimator(Options.Retransmission.InitialRto);
            _rto[server] = estimator;
        }

        return estimator;
    }

    private static StunBindingResult Conclude(Pending p, StunMessage m, TimeSpan elapsed)
    {
        if (m.UnknownComprehensionRequired.Count > 0)
        {
            // RFC 8489 §6.3.3/§6.3.4: unknown comprehension-required attributes fail the transaction.
            return new StunBindingResult(p.Id, p.Server, StunBindingOutcome.UnknownComprehensionRequired, null, m.ErrorCode, elapsed, p.Timer.Transmissions)
            {
                ServerSoftware = m.Software,
                UnknownAttributes = m.UnknownComprehensionRequired.Select(t => (ushort)t).ToArray(),
            };
        }

        if (m.Class == StunClass.ErrorResponse)
        {
            if (m.ErrorCode is not { } error)
            {
                return new StunBindingResult(p.Id, p.Server, StunBindingOutcome.MalformedResponse, null, null, elapsed, p.Timer.Transmissions);
            }

            return new StunBindingResult(p.Id, p.Server, StunBindingOutcome.ErrorResponse, null, error, elapsed, p.Timer.Transmissions)
            {
                ServerSoftware = m.Software,
                AlternateServer = m.AlternateServer,
                UnknownAttributes = m.UnknownAttributes,
            };
        }

        // RFC 8489 §6.3.3: XOR-MAPPED-ADDRESS must be present; MAPPED-ADDRESS is accepted from RFC 3489 servers (§11).
        var mapped = m.XorMappedAddress ?? m.MappedAddress;
        return mapped is null
            ? new StunBindingResult(p.Id, p.Server, StunBindingOutcome.MissingMappedAddress, null, null, elapsed, p.Timer.Transmissions)
            : new StunBindingResult(p.Id, p.Server, StunBindingOutcome.Success, mapped, null, elapsed, p.Timer.Transmissions) { ServerSoftware = m.Software };
    }

    /// <summary>
    /// RFC 8489 §9.1.4: the response must carry the integrity attribute the request used (SHA-256 preferred when
    /// both were sent) and it must verify with the same key. A 400 need not carry one (§14.8).
    /// </summary>
    private static bool ResponseAuthenticated(StunMessage m, StunBindingRequest request, byte[] key)
    {
        if (m.Class == StunClass.ErrorResponse && m.ErrorCode?.Code == StunErrorCode.BadRequest && !m.HasMessageIntegrity && !m.HasMessageIntegritySha256)
        {
            return true;
        }

        bool sha256 = (request.Integrity & StunIntegrityAlgorithms.Sha256) != 0 && m.HasMessageIntegritySha256;
        bool sha1 = (request.Integrity & StunIntegrityAlgorithms.Sha1) != 0 && m.HasMessageIntegrity;
        if (sha256)
        {
            return m.VerifyMessageIntegritySha256(key) == StunError.None;
        }

        return sha1 && m.VerifyMessageIntegrity(key) == StunError.None;
    }

    private static bool SameEndPoint(IPEndPoint a, IPEndPoint b)
    {
        var x = a.Address.IsIPv4MappedToIPv6 ? a.Address.MapToIPv4() : a.Address;
        var y = b.Address.IsIPv4MappedToIPv6 ? b.Address.MapToIPv4() : b.Address;
        return a.Port == b.Port && x.Equals(y);
    }

    private sealed class Pending(StunTransactionId id, IPEndPoint server, byte[] bytes, StunBindingRequest? request, StunRetransmission timer)
    {
        public StunTransactionId Id { get; } = id;

        public IPEndPoint Server { get; } = server;

        public byte[] Bytes { get; } = bytes;

        public StunBindingRequest? Request { get; } = request;

        public StunRetransmission Timer { get; } = timer;

        public bool DiscardedForIntegrity { get; set; }
    }
}
