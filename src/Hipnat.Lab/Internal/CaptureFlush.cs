using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Hipnat.Lab.Internal;

/// <summary>
/// Pushes a live capture's last packets out of the kernel. libpcap reads with TPACKET_V3, which hands packets to
/// dumpcap a whole 256 KiB block at a time, and on this kernel a partly filled block is not reliably retired by its
/// timer: the last packets before a stop would be lost. So a capture also accepts frames of the local experimental
/// ethertype 0x88b5, and stopping it first sends enough of them (addressed from and to the interface's own MAC, so the
/// bridge drops them at once) to fill a block; they are stripped from the pcap afterwards.
/// </summary>
internal static class CaptureFlush
{
    public const int EtherType = 0x88b5;
    public const string CaptureClause = "ether proto 0x88b5";
    public const string StripFilter = "!(eth.type == 0x88b5) && !(sll.etype == 0x88b5)";
    public const int FrameCount = 240;
    public const int PayloadLength = 1500;

    public static void Send(LabHost host, string interfaceName)
    {
        var device = interfaceName == "any" ? "lo" : interfaceName;
        var link = CommandRunner.Run("ip", ["-n", host.Namespace, "-j", "link", "show", "dev", device]);
        if (!link.Succeeded)
        {
            return;
        }

        using var document = JsonDocument.Parse(link.StandardOutput);
        var info = document.RootElement[0];
        var index = info.GetProperty("ifindex").GetInt32();
        var mac = Convert.FromHexString((info.TryGetProperty("address", out var a) ? a.GetString() : null)?.Replace(":", string.Empty, StringComparison.Ordinal) ?? "000000000000");
        if (mac.Length != 6)
        {
            return;
        }

        var frame = new byte[14 + PayloadLength];
        mac.CopyTo(frame, 0);
        mac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType);

        // struct sockaddr_ll: family, protocol (network order), ifindex, hatype, pkttype, halen, addr[8].
        var address = new byte[20];
        BinaryPrimitives.WriteUInt16LittleEndian(address, NativeMethods.AfPacket);
        BinaryPrimitives.WriteUInt16BigEndian(address.AsSpan(2), EtherType);
        BinaryPrimitives.WriteInt32LittleEndian(address.AsSpan(4), index);
        address[11] = 6;
        mac.CopyTo(address, 12);

        host.InNamespace(() =>
        {
            var fd = NativeMethods.Socket(NativeMethods.AfPacket, NativeMethods.SockRaw | NativeMethods.SockCloexec, BinaryPrimitives.ReverseEndianness((ushort)EtherType));
            if (fd < 0)
            {
                throw new InvalidOperationException($"packet socket failed: errno {Marshal.GetLastPInvokeError()}");
            }

            try
            {
                for (var i = 0; i < FrameCount; i++)
                {
                    NativeMethods.SendTo(fd, frame, (nuint)frame.Length, 0, address, address.Length);
                }
            }
            finally
            {
                NativeMethods.Close(fd);
            }
        });
    }
}
