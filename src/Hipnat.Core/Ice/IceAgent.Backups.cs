using System.Net;

namespace Hipnat.Core.Ice;

/// <summary>
/// Backup checks after the selection — the one owner of which further direct pairs are checked once ICE has chosen
/// (RFC 8445 §8.1.1 would stop). A host with several addresses keeps checking, so every uplink has verified pairs
/// ready: hot standbys for failover (draft-melen-hip-nat-mm §3.2.1) and the paths that get an SA pair each under a
/// multihoming policy (RFC 8047 §4.2.4; draft §4). Behind address-dependent NAT filtering both ends must send
/// first, so a single-homed peer of such a host checks on too when it runs a multihoming policy
/// (<see cref="CheckPeerBackups"/>). A verified pair reaches the host through <see cref="IIceTransport.PairWorks"/>.
/// </summary>
public sealed partial class IceAgent
{
    /// <summary>Rounds of backup checks after a selection, their spacing, and the checks each round sends.</summary>
    internal const int BackupRounds = 12;

    internal static readonly TimeSpan BackupRoundInterval = TimeSpan.FromMilliseconds(250);

    internal const int BackupChecksPerRound = 4;

    /// <summary>Check backups although this host has one address: a multihoming policy wants a verified path to each
    /// of the peer's interfaces.</summary>
    internal bool CheckPeerBackups { get; init; }

    private bool ChecksBackups => _options.CheckBackups && (Multihomed || CheckPeerBackups);

    private CandidatePair? _backupsFor;
    private int _backupRoundsLeft;
    private TimeSpan _backupRoundAt = TimeSpan.MaxValue;

    /// <summary>When the next backup round is due (TimeSpan.MaxValue: none).</summary>
    internal TimeSpan BackupRoundAt => _backupRoundAt;

    /// <summary>A new selection: its backup rounds start (again).</summary>
    private void StartBackupRounds(TimeSpan now)
    {
        if (!ChecksBackups || Selected is null || ReferenceEquals(_backupsFor, Selected))
        {
            return;
        }

        _backupsFor = Selected;
        _backupRoundsLeft = BackupRounds;
        _backupRoundAt = now + BackupRoundInterval;
    }

    /// <summary>
    /// One round: up to <see cref="BackupChecksPerRound"/> direct pairs that have not succeeded, highest priority
    /// first, skipping those whose local address and peer address both have a working pair already; the rounds
    /// end early when nothing is left to check.
    /// </summary>
    private void RunBackupRound(TimeSpan now)
    {
        if (_backupRoundAt > now)
        {
            return;
        }

        _backupRoundAt = TimeSpan.MaxValue;
        if (Selected is null || _backupRoundsLeft <= 0 || HeldForEcho)
        {
            return;
        }

        _backupRoundsLeft--;
        var localsWorking = new HashSet<IPAddress>();
        var remotesWorking = new HashSet<Transport.TransportAddress>();
        foreach (var p in CheckList.Pairs)
        {
            if (p.State == CandidatePairState.Succeeded && !p.IsRelayed)
            {
                localsWorking.Add(p.Local.Base.Address);
                remotesWorking.Add(p.Remote.Address);
            }
        }

        int sent = 0;
        foreach (var p in CheckList.Pairs.Where(p => !p.IsRelayed && p.State != CandidatePairState.Succeeded && !IsWildcard(p.Local.Base.Address))
            .OrderByDescending(p => p.Priority))
        {
            if (localsWorking.Contains(p.Local.Base.Address) && remotesWorking.Contains(p.Remote.Address))
            {
                continue;
            }

            _transport.SendCheck(p, nominate: false, fresh: true, now);
            if (++sent == BackupChecksPerRound)
            {
                break;
            }
        }

        if (sent > 0 && _backupRoundsLeft > 0)
        {
            _backupRoundAt = now + BackupRoundInterval;
        }

        static bool IsWildcard(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);
    }
}
