using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>
/// The delayed count of stats (v2's <c>include_delayed</c>, a Marconi extension): free, unexpired
/// messages whose delay has not elapsed, counted only when asked for and never outside free.
/// </summary>
public abstract partial class DataDriverContract
{
    private Task<QueueStats?> StatsWithDelayedAsync(QueueRef queue) =>
        Driver.Queues.GetStatsAsync(queue, _now, default, countDelayed: true);

    [SkippableFact]
    public async Task DelayedMessagesAreCountedUntilTheirDelayEnds()
    {
        var queue = await CreateQueueAsync();
        var other = await CreateQueueAsync("other");
        var plain = await PostOneAsync(queue, 0);
        var soon = await PostOneAsync(queue, 1, delay: 30);
        var late = await PostOneAsync(queue, 2, delay: 90);
        await PostOneAsync(other, 3, delay: 90);

        var stats = await StatsWithDelayedAsync(queue);
        stats.Should().Be(new QueueStats(0, 3, stats!.Oldest, stats.Newest, Delayed: 2));
        stats.Oldest!.Id.Should().Be(plain[0]);
        stats.Newest!.Id.Should().Be(late[0]);
        (await Driver.Queues.GetStatsAsync(queue, _now, default)).Should().Be(stats with { Delayed = null }, "not asked for, it is not counted");

        Advance(29);
        (await StatsWithDelayedAsync(queue))!.Delayed.Should().Be(2);
        Advance(1);
        (await StatsWithDelayedAsync(queue))!.Delayed.Should().Be(1, "{0} is visible from created + delay on", soon[0]);
        Advance(60);
        stats = await StatsWithDelayedAsync(queue);
        stats!.Delayed.Should().Be(0);
        stats.Total.Should().Be(3);
        (await StatsWithDelayedAsync(other))!.Delayed.Should().Be(0);
    }

    [SkippableFact]
    public async Task ClaimedAndExpiredMessagesAreNotCountedAsDelayed()
    {
        var queue = await CreateQueueAsync();
        await PostOneAsync(queue, 0, ttl: 60, delay: 120);
        var held = await PostOneAsync(queue, 1, ttl: 600, delay: 30);
        var waiting = await PostOneAsync(queue, 2, ttl: 600, delay: 300);
        (await StatsWithDelayedAsync(queue))!.Delayed.Should().Be(3);

        Advance(30);
        (await ClaimAsync(queue))!.Messages.Select(m => m.Id).Should().Equal(held);
        // A host whose clock reads a little earlier than the claimer's: the held message is still
        // delayed by that clock, but it is claimed, and delayed is a part of free.
        _now = _now.AddSeconds(-10);
        var stats = await StatsWithDelayedAsync(queue);
        stats!.Claimed.Should().Be(1);
        stats.Total.Should().Be(3);
        stats.Delayed.Should().Be(2);

        // Expires before its delay ends: gone from every count at once, collected or not.
        Advance(40);
        stats = await StatsWithDelayedAsync(queue);
        stats!.Claimed.Should().Be(1);
        stats.Total.Should().Be(2);
        stats.Delayed.Should().Be(1, "only {0} is free and delayed", waiting[0]);
    }

    [SkippableFact]
    public async Task AMissingQueueHasNoDelayedCountAndAnEmptyOneZero()
    {
        (await StatsWithDelayedAsync(Queue("missing"))).Should().BeNull();

        var queue = await CreateQueueAsync();
        (await StatsWithDelayedAsync(queue)).Should().Be(new QueueStats(0, 0, null, null, Delayed: 0));

        // A queue created again under the name starts empty, whatever the deleted one's rows still wait for.
        await PostOneAsync(queue, 0, delay: 60);
        await Driver.Queues.DeleteAsync(queue, default);
        (await StatsWithDelayedAsync(queue)).Should().BeNull();
        await CreateQueueAsync();
        (await StatsWithDelayedAsync(queue)).Should().Be(new QueueStats(0, 0, null, null, Delayed: 0));
    }
}
