using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hipnat.Runtime.Transports;

/// <summary>
/// Linux: a second socket on the HIP port for I1 and I2 only. Both sockets join one SO_REUSEPORT group and a classic
/// BPF program (SO_ATTACH_REUSEPORT_CBPF, socket(7)) picks the socket per datagram in the kernel: index 1 for HIP
/// control (the zero marker of RFC 9028 §5.1) of packet type I1 or I2 (the low 7 bits of the HIP header's third
/// octet, RFC 7401 §5.1), index 0 for everything else. A flood of I1s and I2s then overflows only its own socket's
/// receive buffer; ESP, UPDATEs, keepalives and STUN keep theirs (the <see cref="DriverInbox"/> queues come after
/// the socket and cannot help there).
/// </summary>
internal static unsafe class BaseExchangeSteering
{
    public const int SolSocket = 1;
    public const int SoReusePort = 15;
    public const int SoAttachReusePortCbpf = 51;

    // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }: the program's offsets count from the UDP payload.
    private static readonly ulong[] Program =
    [
        Insn(0x20, 0, 0, 0),    // 0: ld  [0]          the first word: 0 for HIP control (RFC 9028 §5.1)
        Insn(0x15, 0, 5, 0),    // 1: jeq #0           else -> 7
        Insn(0x30, 0, 0, 6),    // 2: ldb [6]          HIP header octet 2: packet type (RFC 7401 §5.1)
        Insn(0x54, 0, 0, 0x7F), // 3: and #0x7f
        Insn(0x15, 1, 0, 1),    // 4: jeq #1 (I1)      -> 6
        Insn(0x15, 0, 1, 3),    // 5: jeq #3 (I2)      -> 6, else -> 7
        Insn(0x06, 0, 0, 1),    // 6: ret #1           the base-exchange socket
        Insn(0x06, 0, 0, 0),    // 7: ret #0           the main socket (also for a datagram too short to load)
    ];

    /// <summary>Sets SO_REUSEPORT on a socket not bound yet.</summary>
    public static void AllowReusePort(Socket socket) => socket.SetRawSocketOption(SolSocket, SoReusePort, [1, 0, 0, 0]);

    /// <summary>Attaches the program to the SO_REUSEPORT group of <paramref name="socket"/> (bound).</summary>
    public static void Attach(Socket socket)
    {
        fixed (ulong* filter = Program)
        {
            Span<byte> fprog = stackalloc byte[16]; // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            fprog.Clear();
            MemoryMarshal.Write(fprog, (ushort)Program.Length);
            MemoryMarshal.Write(fprog[8..], (nint)filter);
            socket.SetRawSocketOption(SolSocket, SoAttachReusePortCbpf, fprog);
        }
    }

    private static ulong Insn(ushort code, byte jt, byte jf, uint k) =>
        code | ((ulong)jt << 16) | ((ulong)jf << 24) | ((ulong)k << 32);
}
