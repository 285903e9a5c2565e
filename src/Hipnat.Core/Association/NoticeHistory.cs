using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Hipnat.Core.Association;

/// <summary>
/// The NOTIFYs an association has taken in, to tell a replay from a new notice. RFC 7401 §5.3.6 gives NOTIFY no
/// SEQ: a signed packet captured on the path verifies again whenever it is sent again, and hipnat acts on two kinds
/// (PATH_UNHEARD and CONNECTIVITY_CHECKS_FAILED). A notice is known by its signature — the signature covers every
/// octet, and two notices with the same content still differ, by ECDSA's random nonce or, from hipnat, by the serial
/// in the notice's data — so the digests of the last <see cref="Capacity"/> are kept; older replays are refused by
/// the data's SPI (<see cref="Host.HipHost"/>, notices of an earlier SA) or are rate-limited where they act.
/// </summary>
internal sealed class NoticeHistory
{
    /// <summary>Notices remembered; notices are rare (at most one acted on per kind every two seconds).</summary>
    public const int Capacity = 32;

    private readonly ulong[] _digests = new ulong[Capacity];
    private int _count;
    private int _next;

    /// <summary>Remembers the notice signed with <paramref name="signature"/>; false if it was seen before.</summary>
    public bool TryAccept(ReadOnlySpan<byte> signature)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(signature, hash);
        ulong digest = BinaryPrimitives.ReadUInt64LittleEndian(hash);
        if (_digests.AsSpan(0, _count).Contains(digest))
        {
            return false;
        }

        _digests[_next] = digest;
        _next = (_next + 1) % Capacity;
        _count = Math.Min(_count + 1, Capacity);
        return true;
    }
}
