namespace Hipnat.Runtime.Transports;

/// <summary>Per-transport packet counters, updated from the receive threads and the driver thread.</summary>
public sealed class TransportCounters
{
    private long _received;
    private long _sent;
    private long _sendErrors;
    private long _receiveErrors;
    private long _badChecksum;
    private long _malformed;

    public long Received => Interlocked.Read(ref _received);

    public long Sent => Interlocked.Read(ref _sent);

    public long SendErrors => Interlocked.Read(ref _sendErrors);

    public long ReceiveErrors => Interlocked.Read(ref _receiveErrors);

    /// <summary>Raw HIP packets whose pseudo-header checksum did not verify (dropped before the core).</summary>
    public long BadChecksum => Interlocked.Read(ref _badChecksum);

    /// <summary>Raw packets too short or with an impossible IP header (dropped before the core).</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    internal void CountReceived() => Interlocked.Increment(ref _received);

    internal void CountSent() => Interlocked.Increment(ref _sent);

    internal void CountSendError() => Interlocked.Increment(ref _sendErrors);

    internal void CountReceiveError() => Interlocked.Increment(ref _receiveErrors);

    internal void CountBadChecksum() => Interlocked.Increment(ref _badChecksum);

    internal void CountMalformed() => Interlocked.Increment(ref _malformed);
}
