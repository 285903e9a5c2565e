namespace Hipnat.Fuzz.Tests;

/// <summary>
/// The CI run of the fuzz harnesses: each target's corpus (fuzz/corpus/TARGET and its built-in seeds) and a fixed
/// number of seeded mutations in process. Any exception escaping a harness fails the test with the input in hex.
/// The long runs (AFL++, scripts/fuzz.sh) are described in docs/fuzzing.md.
/// </summary>
public class SmokeFuzzTests
{
    [Theory]
    [InlineData("hip-parse", 20_000)]
    [InlineData("hip-core", 3_000)]
    [InlineData("stun", 20_000)]
    [InlineData("esp-open", 20_000)]
    [InlineData("beet", 5_000)]
    [InlineData("config", 20_000)]
    [InlineData("control", 20_000)]
    public void No_exception_escapes_a_harness(string target, int mutations)
    {
        var harness = FuzzTargets.Create(target);
        var corpus = CorpusLocator.Find(target);
        Assert.NotNull(corpus);
        var result = SmokeRunner.Run(harness, mutations, seed: 20240611, corpus);

        Assert.True(result.Executions >= mutations + result.CorpusInputs, $"{result.Executions} executions");
        Assert.True(result.Crashes.Count == 0, string.Join(
            "\n\n",
            result.Crashes.Select(c => $"{c.Signature}\ninput: {Convert.ToHexString(c.Input)}\n{c.Exception}")));
    }

    [Fact]
    public void Committed_corpus_files_exist_for_every_target()
    {
        foreach (var target in FuzzTargets.Names)
        {
            var dir = CorpusLocator.Find(target);
            Assert.NotNull(dir);
            Assert.NotEmpty(Directory.GetFiles(dir));
        }
    }

    [Fact]
    public void An_escaping_exception_is_reported_as_a_crash_with_its_input()
    {
        var result = SmokeRunner.Run(new ThrowingTarget(), mutations: 200, seed: 1, corpusDirectory: null);

        var crash = Assert.Single(result.Crashes);
        Assert.IsType<InvalidOperationException>(crash.Exception);
        Assert.Contains((byte)0x42, crash.Input);
    }

    [Theory]
    [InlineData("out-ipv6-udp-too-big-0")]
    [InlineData("out-ipv4-udp-too-big-2")]
    public void With_bit_2_the_beet_harness_reaches_the_too_big_answer(string seed)
    {
        var beet = new BeetTarget();
        var input = beet.CreateSeeds().Single(s => s.Name == seed).Data;

        beet.Run(input);
        Assert.Equal(1, beet.WrittenByA); // ICMP "too big" back to A's stack
        Assert.Equal(0, beet.WrittenByB); // nothing sealed

        input[0] &= unchecked((byte)~4); // no MTU: the same packet crosses
        beet.Run(input);
        Assert.Equal(0, beet.WrittenByA);
        Assert.Equal(1, beet.WrittenByB);
    }

    [Fact]
    public void Mutations_are_deterministic_for_a_seed()
    {
        byte[][] corpus = [[1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11]];
        var first = new Mutator(5);
        var second = new Mutator(5);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(first.Mutate(corpus), second.Mutate(corpus));
        }
    }
}
