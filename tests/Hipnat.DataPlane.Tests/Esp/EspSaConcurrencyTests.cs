using System.Buffers.Binary;
using Hipnat.DataPlane.Esp;

namespace Hipnat.DataPlane.Tests.Esp;

/// <summary>
/// Several threads sealing for one SA (the readers of a multi-queue TUN device): every packet gets its own sequence
/// number, none is skipped, each opens with its own payload, and the SA's counters are exact.
/// </summary>
public sealed class EspSaConcurrencyTests
{
    [Theory]
    [InlineData("AES-128-GCM-16")]
    [InlineData("AES-256-GCM-16")]
    [InlineData("AES-128-CBC/HMAC-SHA-256-128")]
    public void ThreadsSealingForOneSaTakeEverySequenceNumberOnce(string transform)
    {
        const int Threads = 4;
        const int PerThread = 5000;
        var t = EspTransform.All.Single(x => x.Name == transform);
        using var sas = new TestSas(t, new EspSaOptions { ReplayWindowSize = 1 << 20 }, seed: 5);
        var sealedBy = new byte[Threads][][];
        using var start = new Barrier(Threads);
        var workers = Enumerable.Range(0, Threads).Select(id => new Thread(() =>
        {
            var mine = new byte[PerThread][];
            start.SignalAndWait();
            for (int i = 0; i < PerThread; i++)
            {
                // The payload names its thread and index, so a mix-up between threads would show.
                var payload = new byte[100 + (i % 1300)];
                BinaryPrimitives.WriteInt32BigEndian(payload, id);
                BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), i);
                payload.AsSpan(8).Fill((byte)(id * 31 + i));
                mine[i] = sas.Seal(payload);
            }

            sealedBy[id] = mine;
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        var all = sealedBy.SelectMany(x => x).ToList();
        var sequence = all.Select(p => BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(4))).ToList();
        Assert.Equal(Enumerable.Range(1, Threads * PerThread).Select(i => (uint)i), sequence.Order());
        Assert.Equal((ulong)(Threads * PerThread), sas.Outbound.Packets);
        Assert.Equal((ulong)(Threads * PerThread), sas.Outbound.SequenceNumber);

        for (int id = 0; id < Threads; id++)
        {
            uint last = 0;
            for (int i = 0; i < PerThread; i++)
            {
                // One thread's packets (one flow) keep their order.
                uint seq = BinaryPrimitives.ReadUInt32BigEndian(sealedBy[id][i].AsSpan(4));
                Assert.True(seq > last);
                last = seq;
                var (ok, payload, _, reason) = sas.Open(sealedBy[id][i]);
                Assert.True(ok, reason.ToString());
                Assert.Equal(id, BinaryPrimitives.ReadInt32BigEndian(payload));
                Assert.Equal(i, BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)));
                Assert.Equal(100 + (i % 1300), payload.Length);
                Assert.True(payload.AsSpan(8).IndexOfAnyExcept((byte)(id * 31 + i)) < 0);
            }
        }

        Assert.Equal((ulong)(Threads * PerThread), sas.Inbound.Packets);
    }

    [Fact]
    public void AnSaDisposedWhileThreadsSealLeavesNoPacketSealedWithWipedKeys()
    {
        using var sas = new TestSas(EspTransform.Aes128Gcm, new EspSaOptions { ReplayWindowSize = 1 << 20 }, seed: 6);
        var sealedBy = new List<byte[]>[2];
        var workers = Enumerable.Range(0, 2).Select(id => new Thread(() =>
        {
            var mine = new List<byte[]>();
            var payload = new byte[1400];
            while (true)
            {
                var buffer = new byte[sas.Transform.GetSealedLength(payload.Length)];
                if (!sas.Outbound.TrySeal(payload, 17, buffer, out _))
                {
                    break; // disposed
                }

                mine.Add(buffer);
            }

            sealedBy[id] = mine;
        })).ToList();
        workers.ForEach(w => w.Start());
        Thread.Sleep(50);
        sas.Outbound.Dispose();
        workers.ForEach(w => w.Join());

        // Every packet a seal reported done opens: none was finished after the keys were wiped.
        var all = sealedBy.SelectMany(x => x).OrderBy(p => BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(4))).ToList();
        Assert.NotEmpty(all);
        Assert.All(all, p => Assert.True(sas.Open(p).Ok));
    }

    [Fact]
    public void ASealerRunsAtMostTheReorderBoundAheadOfAnotherOnesOldestUnsentPacket()
    {
        using var sas = new TestSas(EspTransform.Aes128Gcm, seed: 7);
        var payload = new byte[100];
        var buffer = new byte[sas.Transform.GetSealedLength(payload.Length)];

        // Sealer 0 seals sequence number 1 and is held up before sending it.
        Assert.True(sas.Outbound.TrySeal(payload, 17, buffer, 0, out _, out bool wait));
        Assert.False(wait);

        // Sealer 1 may go on up to 31 further numbers (its packets then arrive at most 31 ahead of number 1) ...
        int sealedBy1 = 0;
        while (sas.Outbound.TrySeal(payload, 17, buffer, 1, out _, out wait))
        {
            sealedBy1++;
        }

        Assert.True(wait);
        Assert.Equal(EspSa.ReorderBound - 1, sealedBy1);
        Assert.Equal((ulong)EspSa.ReorderBound, sas.Outbound.SequenceNumber);

        // ... and once sealer 0 has sent, sealer 1 goes on — until its own unsent packets hold sealer 0 back.
        sas.Outbound.MarkSent(0);
        Assert.True(sas.Outbound.TrySeal(payload, 17, buffer, 1, out _, out wait));
        Assert.False(sas.Outbound.TrySeal(payload, 17, buffer, 0, out _, out wait));
        Assert.True(wait);
        sas.Outbound.MarkSent(1);
        Assert.True(sas.Outbound.TrySeal(payload, 17, buffer, 0, out _, out wait));

        // A plain seal (no sealer) is never held.
        Assert.True(sas.Outbound.TrySeal(payload, 17, buffer, out _));
    }
}
