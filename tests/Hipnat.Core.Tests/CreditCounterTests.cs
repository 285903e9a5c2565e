using Hipnat.Core.Paths;

namespace Hipnat.Core.Tests;

/// <summary>Credit-based authorization (RFC 8046 §5.6).</summary>
public class CreditCounterTests
{
    [Fact]
    public void WhatThePeerSentIsWhatMayGoToAnUnverifiedAddress()
    {
        var c = new CreditCounter();
        Assert.False(c.TrySpend(1), "no credit before the peer sent anything");
        c.Earn(1000);
        c.Earn(500);
        Assert.True(c.TrySpend(1200));
        Assert.False(c.TrySpend(301), "§5.6.1: a packet larger than the credit left is held or dropped");
        Assert.True(c.TrySpend(300));
        Assert.Equal(0, c.Credit);
        Assert.Equal(1500, c.Spent);
        Assert.Equal(2, c.Refused);
    }

    [Fact]
    public void CreditAgesBySevenEighthsEveryFiveSeconds()
    {
        var c = new CreditCounter();
        c.Age(TimeSpan.FromSeconds(100));
        c.Earn(8000);
        c.Age(TimeSpan.FromSeconds(104.9));
        Assert.Equal(8000, c.Credit);
        c.Age(TimeSpan.FromSeconds(105));
        Assert.Equal(7000, c.Credit);

        // Two intervals at once (a late timer) age twice; the part of an interval left over is kept.
        c.Age(TimeSpan.FromSeconds(117));
        Assert.Equal((long)(7000 * 7.0 / 8 * 7.0 / 8), c.Credit);
        c.Age(TimeSpan.FromSeconds(119.9));
        Assert.Equal((long)(7000 * 7.0 / 8 * 7.0 / 8), c.Credit);
        c.Age(TimeSpan.FromSeconds(120));
        Assert.True(c.Credit < 5359);
    }

    [Fact]
    public void CreditBuiltUpSlowlyCannotBeSpentInOneBurstLater()
    {
        // §5.6.2: a peer that trickles 100 bytes a second for ten minutes has far less than 60000 bytes to spend.
        var c = new CreditCounter();
        for (int s = 0; s <= 600; s++)
        {
            c.Earn(100);
            c.Age(TimeSpan.FromSeconds(s));
        }

        Assert.InRange(c.Credit, 1, 5000);
    }

    [Fact]
    public async Task ConcurrentEarningAndSpendingNeverSpendsMoreThanWasEarned()
    {
        var c = new CreditCounter();
        long spent = 0;
        var earner = Task.Run(() =>
        {
            for (int i = 0; i < 200_000; i++)
            {
                c.Earn(10);
            }
        });
        var spender = Task.Run(() =>
        {
            while (!earner.IsCompleted || c.Credit >= 7)
            {
                if (c.TrySpend(7))
                {
                    spent += 7;
                }
            }
        });
        await Task.WhenAll(earner, spender);
        Assert.Equal(spent, c.Spent);
        Assert.Equal(2_000_000, c.Spent + c.Credit);
        Assert.True(c.Credit < 7);
    }
}
