using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hipnat.DataPlane.Esp;

namespace Hipnat.DataPlane.Tests.Esp;

public class ReplayWindowTests
{
    [Fact]
    public void Size_is_at_least_64_and_defaults_to_1024()
    {
        Assert.Equal(1024, new ReplayWindow().Size);
        Assert.Equal(64, new ReplayWindow(64).Size);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayWindow(63));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayWindow(0));
    }

    [Fact]
    public void Zero_is_never_valid()
    {
        var w = new ReplayWindow();
        Assert.Equal(ReplayCheckResult.TooOld, w.Check(0));
        Assert.False(w.Update(0));
        Assert.Equal(0UL, w.Highest);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(1024)]
    public void Edges_duplicate_exact_size_behind_and_far_behind(int size)
    {
        var w = new ReplayWindow(size);
        ulong top = 5000;
        Assert.True(w.CheckAndUpdate(top));
        Assert.Equal(ReplayCheckResult.Duplicate, w.Check(top));
        Assert.False(w.CheckAndUpdate(top));

        ulong leftEdge = top - (ulong)size + 1; // RFC 4303 A2: B = T - W + 1
        Assert.Equal(ReplayCheckResult.Accepted, w.Check(leftEdge));
        Assert.Equal(ReplayCheckResult.TooOld, w.Check(top - (ulong)size)); // exactly W behind
        Assert.Equal(ReplayCheckResult.TooOld, w.Check(1));                 // far behind
        Assert.True(w.CheckAndUpdate(leftEdge));
        Assert.Equal(ReplayCheckResult.Duplicate, w.Check(leftEdge));
        Assert.Equal(ReplayCheckResult.Accepted, w.Check(top - 1));
        Assert.Equal(ReplayCheckResult.Accepted, w.Check(top + 1));
    }

    [Fact]
    public void Check_alone_changes_nothing()
    {
        var w = new ReplayWindow(64);
        Assert.Equal(ReplayCheckResult.Accepted, w.Check(10));
        Assert.Equal(ReplayCheckResult.Accepted, w.Check(10));
        Assert.Equal(0UL, w.Highest);
        Assert.True(w.Update(10));
        Assert.Equal(10UL, w.Highest);
    }

    [Fact]
    public void Big_jump_ahead_clears_the_whole_ring_and_forgets_the_past()
    {
        var w = new ReplayWindow(128);
        for (ulong s = 1; s <= 300; s++)
        {
            Assert.True(w.CheckAndUpdate(s));
        }

        ulong far = 300 + 1_000_000;
        Assert.True(w.CheckAndUpdate(far));
        for (ulong s = far - 127; s < far; s++)
        {
            Assert.Equal(ReplayCheckResult.Accepted, w.Check(s)); // stale bits of the ring must not leak in
        }

        Assert.Equal(ReplayCheckResult.TooOld, w.Check(300));
        Assert.Equal(ReplayCheckResult.Duplicate, w.Check(far));
    }

    [Fact]
    public void Jumps_of_one_block_at_a_time_keep_the_old_bits_that_are_still_in_the_window()
    {
        var w = new ReplayWindow(256);
        var received = new List<ulong>();
        for (ulong s = 1; s < 5000; s += 63)
        {
            Assert.True(w.CheckAndUpdate(s));
            received.Add(s);
        }

        foreach (ulong s in received)
        {
            var expected = w.Highest - s < 256 ? ReplayCheckResult.Duplicate : ReplayCheckResult.TooOld;
            Assert.Equal(expected, w.Check(s));
        }
    }

    [Fact]
    public void Highest_sequence_number_is_handled()
    {
        var w = new ReplayWindow(64);
        Assert.True(w.CheckAndUpdate(ulong.MaxValue - 10));
        Assert.True(w.CheckAndUpdate(ulong.MaxValue));
        Assert.Equal(ReplayCheckResult.Duplicate, w.Check(ulong.MaxValue));
        Assert.Equal(ReplayCheckResult.Accepted, w.Check(ulong.MaxValue - 63));
        Assert.Equal(ReplayCheckResult.TooOld, w.Check(ulong.MaxValue - 64));
    }

    // RFC 4303 Appendix A2.2, Case A (Tl >= W - 1) and Case B (Tl < W - 1).
    [Theory]
    [InlineData(0x0000_0005_0000_1000UL, 0x0000_2000u, 0x0000_0005_0000_2000UL)] // A: ahead, same subspace
    [InlineData(0x0000_0005_0000_1000UL, 0x0000_0F00u, 0x0000_0005_0000_0F00UL)] // A: inside the window
    [InlineData(0x0000_0005_0000_1000UL, 0x0000_0001u, 0x0000_0006_0000_0001UL)] // A: below Bl → Th + 1
    [InlineData(0x0000_0005_FFFF_FFF0UL, 0x0000_0003u, 0x0000_0006_0000_0003UL)] // A: wrap into the next subspace
    [InlineData(0x0000_0005_0000_0010UL, 0xFFFF_FFF0u, 0x0000_0004_FFFF_FFF0UL)] // B: window spans Th - 1
    [InlineData(0x0000_0005_0000_0010UL, 0x0000_0008u, 0x0000_0005_0000_0008UL)] // B: low part in Th
    [InlineData(0x0000_0005_0000_0010UL, 0x0001_0000u, 0x0000_0005_0001_0000UL)] // B: ahead in Th
    [InlineData(0x0000_0000_0000_0000UL, 0xFFFF_FFF0u, 0x0000_0000_FFFF_FFF0UL)] // B at the start: no subspace -1
    public void Esn_high_bits_are_inferred_by_rfc4303_a2_2(ulong highest, uint low, ulong expected)
    {
        var w = new ReplayWindow(1024);
        if (highest != 0)
        {
            Assert.True(w.Update(highest));
        }

        Assert.Equal(expected, w.InferSequenceNumber(low));
    }

    [Property(MaxTest = 500)]
    public Property Esn_inference_recovers_every_sequence_number_from_the_window_edge_to_2_to_the_32_ahead()
    {
        var gen =
            from top in Gen.Choose(0, int.MaxValue).Select(x => ((ulong)x << 18) + 2000)
            from offset in Gen.OneOf(Gen.Choose(-1023, 1023).Select(x => (long)x), Gen.Choose(0, int.MaxValue).Select(x => (long)x * 2))
            select (top, offset);
        return Prop.ForAll(Arb.From(gen), t =>
        {
            var w = new ReplayWindow(1024);
            w.Update(t.top);
            ulong actual = (ulong)((long)t.top + t.offset);
            return w.InferSequenceNumber((uint)actual) == actual;
        });
    }

    private static Gen<ulong[]> Sequences(int window) =>
        from start in Gen.Choose(1, 1 << 20).Select(x => (ulong)x)
        from steps in Gen.ListOf(Gen.Frequency(
            (6, Gen.Choose(-window - 80, window + 80).Select(x => (long)x)),   // around the edges
            (2, Gen.Choose(-3, 3).Select(x => (long)x)),                        // duplicates and near neighbours
            (1, Gen.Choose(window, 20 * window).Select(x => (long)x))))         // big jumps ahead
        select steps.Select((d, i) => (ulong)Math.Max(1, (long)start + d + (i * 3))).ToArray();

    [Property(MaxTest = 300)]
    public Property Window_agrees_with_a_naive_set_model()
    {
        var gen = from size in Gen.Elements(64, 65, 127, 128, 200, 1024)
                  from seqs in Sequences(size)
                  select (size, seqs);
        return Prop.ForAll(Arb.From(gen), input =>
        {
            var w = new ReplayWindow(input.size);
            var seen = new HashSet<ulong>();
            ulong top = 0;
            foreach (ulong s in input.seqs)
            {
                // Model: accept iff new and not older than T - W + 1.
                bool modelAccepts = !seen.Contains(s) && (s > top || top - s < (ulong)input.size);
                var check = w.Check(s);
                if ((check == ReplayCheckResult.Accepted) != modelAccepts)
                {
                    return false;
                }

                if (check == ReplayCheckResult.Duplicate && !seen.Contains(s))
                {
                    return false;
                }

                if (modelAccepts)
                {
                    if (!w.Update(s))
                    {
                        return false;
                    }

                    seen.Add(s);
                    top = Math.Max(top, s);
                }
                else if (w.Update(s))
                {
                    return false; // Update must refuse what Check refused
                }

                if (w.Highest != top)
                {
                    return false;
                }
            }

            return true;
        });
    }

    [Property(MaxTest = 300)]
    public Property Esn_receiver_fed_only_the_low_32_bits_agrees_with_the_model_across_subspace_boundaries()
    {
        // True 64-bit sequence numbers that straddle 2^32 boundaries, reordered within the window; the receiver
        // sees only their low halves (RFC 4303 §2.2.1) and must rebuild and judge them like the model does.
        var gen =
            from subspace in Gen.Choose(0, 5).Select(x => (ulong)x)
            from start in Gen.Choose(0, 1500).Select(x => (long)x)
            from steps in Gen.ListOf(Gen.Frequency(
                (8, Gen.Choose(1, 5).Select(x => (long)x)),
                (3, Gen.Choose(-200, 0).Select(x => (long)x)),
                (2, Gen.Choose(100, 250).Select(x => (long)x))))
            select (subspace, start, steps: steps.ToArray());
        return Prop.ForAll(Arb.From(gen), input =>
        {
            var w = new ReplayWindow(256);
            ulong origin = ((input.subspace + 1) << 32) - (ulong)(input.start + 300);
            bool crossed = false;
            var seen = new HashSet<ulong>();
            ulong top = 0;
            long position = 0;
            foreach (long step in input.steps)
            {
                position = Math.Max(0, position + step);
                ulong seq = origin + (ulong)position;
                if (top != 0 && seq + 256 <= top)
                {
                    continue; // too old for the model and out of A2.2's unambiguous range; covered elsewhere
                }

                ulong inferred = top == 0 ? seq : w.InferSequenceNumber((uint)seq);
                if (top != 0 && inferred != seq)
                {
                    return false.ToProperty();
                }

                bool accept = !seen.Contains(seq);
                if (w.CheckAndUpdate(seq) != accept)
                {
                    return false.ToProperty();
                }

                if (accept)
                {
                    seen.Add(seq);
                    top = Math.Max(top, seq);
                }

                crossed |= seq >> 32 > input.subspace;
            }

            return (w.Highest == top).Classify(crossed, "crossed a 2^32 boundary");
        });
    }

    [Property(MaxTest = 200)]
    public Property Checks_without_updates_never_change_the_outcome()
    {
        return Prop.ForAll(Arb.From(Sequences(64)), seqs =>
        {
            var w = new ReplayWindow(64);
            foreach (ulong s in seqs.Take(seqs.Length / 2))
            {
                w.CheckAndUpdate(s);
            }

            var first = seqs.Select(w.Check).ToArray();
            var second = seqs.Select(w.Check).ToArray();
            return first.SequenceEqual(second);
        });
    }
}
